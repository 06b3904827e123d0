//! Small parsing helpers shared by the input types of every feature.

use crate::error::FieldError;

/// Trims `value` and checks its length in characters; records an error and returns `None`
/// when it is out of bounds.
pub fn text(
    value: &str,
    field: &str,
    min_chars: usize,
    max_chars: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len < min_chars {
        let message = if min_chars == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {min_chars} characters")
        };
        errors.push(FieldError::new(field, message));
        None
    } else if len > max_chars {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
        None
    } else {
        Some(trimmed.to_owned())
    }
}
