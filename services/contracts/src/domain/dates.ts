/**
 * Every contract date is a UTC calendar day, `YYYY-MM-DD` (DESIGN.md §2, Dates). Days of this
 * form sort as strings, so `a < b` compares them.
 */
export type CalendarDay = string;

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

const dayOf = (year: number, month: number, day: number): CalendarDay => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;

function fields(value: string): [number, number, number] | undefined {
  const match = DAY_PATTERN.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return [year, month, day];
}

/** Whether a string is a real calendar day (`2025-02-29` is not); edges check input with it. */
export const isCalendarDay = (value: string): boolean => fields(value) !== undefined;

function fieldsOf(day: CalendarDay): [number, number, number] {
  const parsed = fields(day);
  // Edges validate days before the domain sees them: a bad one here is a bug.
  if (!parsed) throw new Error(`not a calendar day (YYYY-MM-DD): ${day}`);
  return parsed;
}

/** Midnight UTC at the start of the day. */
export function parseDay(day: CalendarDay): Date {
  const [year, month, date] = fieldsOf(day);
  const at = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are.
  at.setUTCFullYear(year, month - 1, date);
  return at;
}

/** The UTC calendar day an instant falls on: how the platform clock's 'now' becomes 'today'. */
export const formatDay = (at: Date): CalendarDay => dayOf(at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate());

export const addDays = (day: CalendarDay, days: number): CalendarDay => formatDay(new Date(parseDay(day).getTime() + days * DAY_MS));

/** Adds calendar months, clamping to the month's end: Jan 31 + 1 = Feb 28/29, Feb 29 + 12 = Feb 28. */
export function addMonths(day: CalendarDay, months: number): CalendarDay {
  const [year, month, date] = fieldsOf(day);
  const index = year * 12 + (month - 1) + months;
  const nextYear = Math.floor(index / 12);
  const nextMonth = index - nextYear * 12 + 1;
  return dayOf(nextYear, nextMonth, Math.min(date, daysInMonth(nextYear, nextMonth)));
}

/** Days from `from` to `to`: negative when `to` comes first. */
export const daysBetween = (from: CalendarDay, to: CalendarDay): number => (parseDay(to).getTime() - parseDay(from).getTime()) / DAY_MS;

/** The 1st of the month after the day's month (a monthly contract's end), even from a 1st. */
export function firstOfNextMonth(day: CalendarDay): CalendarDay {
  const [year, month] = fieldsOf(day);
  return addMonths(dayOf(year, month, 1), 1);
}
