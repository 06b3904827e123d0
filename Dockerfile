# syntax=docker/dockerfile:1
#
# tudu container image: a static binary on distroless/static, ≈ 35 MB: the binary as
# deploy/image-binary.sh measures it (32.7 MB when last recorded) plus the ≈ 2 MB base
# (docs/deploy.md, "Size").
#
#   docker build -t tudu .
#   docker run --rm -p 8000:8000 tudu                      # SQLite in the container's /app/data
#   docker run --rm -p 8000:8000 --read-only -v tudu-data:/app/data tudu
#
# The binary is glibc linked statically (crt-static) rather than musl: it is the target CI
# builds and tests, mimalloc keeps Rust's allocations off the C allocator either way, and
# glibc ≥ 2.34 resolves /etc/hosts and DNS without loading NSS modules, so a static glibc
# binary needs nothing from the runtime image but CA certificates and a passwd entry.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
# Spelled out so RUSTFLAGS reach only the target, not build scripts and proc-macros (which
# cannot be static).
ARG TARGET=x86_64-unknown-linux-gnu
ENV CARGO_TERM_COLOR=never \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    RUSTFLAGS="-C target-feature=+crt-static"
WORKDIR /src

# Dependencies first, against placeholder sources, so that a change to src/ reuses this layer.
# .cargo/config.toml carries the flags SQLite is compiled with.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked --target "$TARGET" \
    && rm -rf src "target/$TARGET/release/.fingerprint/tudu-"* "target/$TARGET/release/deps/"*tudu*

COPY migrations migrations
COPY src src
# A binary that still asks for a dynamic loader could not start on distroless/static: fail the
# build here instead.
RUN cargo build --release --locked --target "$TARGET" \
    && cp "target/$TARGET/release/tudu" /tudu \
    && readelf --program-headers /tudu > /tmp/phdrs \
    && ! grep -q 'program interpreter' /tmp/phdrs \
    && /tudu --version

# The SQLite default writes to ./data; it must exist and belong to the runtime user, and
# distroless has no shell to create it.
RUN install -d -m 0750 -o 65532 -g 65532 /app/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build --chown=65532:65532 /app /app
COPY --from=build /tudu /usr/local/bin/tudu
WORKDIR /app
# The server must listen beyond loopback inside a container. Everything else comes from the
# environment at run time (docs/deploy.md); production needs at least DATABASE_URL,
# BETTER_AUTH_SECRET, ALLOWED_ORIGINS and PUBLIC_URL.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
# distroless' "nonroot", numerically, so runAsNonRoot can verify it without a passwd lookup.
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/tudu", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/tudu"]
CMD ["serve"]
