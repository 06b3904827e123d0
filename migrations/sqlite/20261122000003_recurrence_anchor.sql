-- The day of month a monthly series keeps (its first due date's local day), so that a series
-- on the 31st returns to the 31st after a shorter month.
alter table task add column recurrence_anchor_day integer;
