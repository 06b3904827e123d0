// Dates and labels, read on the account's time zone (not the browser's): a task due "Friday
// 17:00" is due then wherever the user opens the app.

let zone = 'UTC';

/** Sets the zone dates are shown in. */
export function setZone(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    zone = tz;
  } catch {
    zone = 'UTC';
  }
}

/** The account's time zone. */
export function currentZone() {
  return zone;
}

function parts(date) {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const out = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** `YYYY-MM-DD` of an instant in the account's zone. */
export function localDate(date = new Date()) {
  const p = parts(date);
  return `${p.year}-${p.month}-${p.day}`;
}

/** `YYYY-MM-DD` `days` after today in the account's zone. */
export function dateAfter(days) {
  return localDate(new Date(Date.now() + days * 86400000));
}

/** The value a `datetime-local` input shows for an instant. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const p = parts(new Date(iso));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** Whether a task is past its due date and still open. */
export function isOverdue(task, now = new Date()) {
  return !task.completed && !!task.due_date && new Date(task.due_date) < now;
}

/** "Today 17:00", "Tomorrow", "Mon 7 Dec", "7 Dec 2027": short and unambiguous. */
export function dueText(iso, now = new Date()) {
  const due = new Date(iso);
  const p = parts(due);
  const day = localDate(due);
  const allDay = p.hour === '23' && p.minute === '59';
  const time = allDay ? '' : ` ${p.hour}:${p.minute}`;
  if (day === localDate(now)) return `Today${time}`;
  if (day === localDate(new Date(now.getTime() + 86400000))) return `Tomorrow${time}`;
  if (day === localDate(new Date(now.getTime() - 86400000))) return `Yesterday${time}`;
  const sameYear = p.year === parts(now).year;
  const label = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, weekday: sameYear ? 'short' : undefined, day: 'numeric', month: 'short',
    year: sameYear ? undefined : 'numeric',
  }).format(due);
  return `${label}${time}`;
}

/** A long date and time for details ("Friday 1 January 2027 at 23:59"). */
export function longDate(iso) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, dateStyle: 'full', timeStyle: 'short',
  }).format(new Date(iso));
}

export const PRIORITIES = [['HIGH', 'High'], ['MEDIUM', 'Medium'], ['LOW', 'Low'], ['NONE', 'None']];

/** "High", "Medium", … */
export function priorityName(value) {
  const found = PRIORITIES.find(([v]) => v === value);
  return found ? found[1] : 'None';
}

const UNITS = { DAILY: ['day', 'days'], WEEKLY: ['week', 'weeks'], MONTHLY: ['month', 'months'] };

/** "Repeats every month", "Repeats every 2 weeks". */
export function repeatText(pattern, interval) {
  const unit = UNITS[pattern];
  if (!unit) return '';
  const n = interval || 1;
  return n === 1 ? `Repeats every ${unit[0]}` : `Repeats every ${n} ${unit[1]}`;
}
