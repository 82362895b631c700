/** The contracts service's BullMQ queue (before the deployment's queue prefix). */
export const ASSIGNMENT_TIMEOUTS_QUEUE = 'contracts-assignment-timeouts';

/** A reminder to look at one client once an assignment's deadline has come. */
export const ASSIGNMENT_TIMEOUT_JOB = 'assignment-timeout';
export interface AssignmentTimeoutJob {
  partnerId: string;
  clientId: string;
  assignmentId: string;
}

/** Reminders to look at a client on the day something of it falls due, and the lifecycle sweep. */
export const LIFECYCLE_QUEUE = 'contracts-lifecycle';
export const LIFECYCLE_JOB = 'client-due';
export interface LifecycleJob {
  partnerId: string;
  clientId: string;
}
