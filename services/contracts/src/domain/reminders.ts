import { daysBetween, type CalendarDay } from './dates';

/** Days before an end date when a reminder goes out (C11), unless configured otherwise. */
export const DEFAULT_REMINDER_DAYS: readonly number[] = [30, 7, 1];

/** A reminder of one end date of a contract, `daysBefore` it (a step of the schedule). */
export interface Reminder {
  endsOn: CalendarDay;
  daysBefore: number;
}

export interface DueReminder extends Reminder {
  daysLeft: number;
}

/**
 * C11: the reminder to send today for a contract ending on `endsOn`, given those already sent.
 * The due steps are those with daysLeft ≤ daysBefore; only the latest (smallest) one counts, so
 * after a clock jump the earlier steps are skipped for good. A renewal's new end date starts a
 * new series.
 */
export function reminderDue(
  endsOn: CalendarDay,
  schedule: readonly number[],
  sent: readonly Reminder[],
  today: CalendarDay,
): DueReminder | undefined {
  const daysLeft = daysBetween(today, endsOn);
  if (daysLeft <= 0) return undefined;
  const due = schedule.filter((days) => daysLeft <= days);
  if (due.length === 0) return undefined;
  const daysBefore = Math.min(...due);
  if (sent.some((r) => r.endsOn === endsOn && r.daysBefore === daysBefore)) return undefined;
  return { endsOn, daysBefore, daysLeft };
}
