// Jobs as code (issue 25): what an apply file declares and what the plan compares it with.
// A job is a named ticker or cron task of a group; its fields are `add --file`'s (TaskSpec) and
// issue 24's (RunFields). Timers are not declared state: they are added with `ktimer add`.
import type { RunFields } from '../tasks/run-fields.js';
import type { Task, TaskSpec } from '../tasks/task.js';

/** A task's declared fields: a checked spec with its name. */
export type JobSpec = TaskSpec & RunFields & { name: string };

export interface DeclaredJob {
  name: string;
  /** Where the file declares it (1-based), for messages; 0 when it came from no file. */
  line: number;
  spec: JobSpec;
}

/** An apply file, checked: its group and its tasks, in the file's order. */
export interface Declaration {
  group: string;
  jobs: DeclaredJob[];
}

/**
 * A task as stored, as far as apply cares: its fields, its kid, its group, and its run count
 * (a new limit must leave it runs to make). What the store's decoded task gives, once it carries
 * issue 24's fields and a group.
 */
export type StoredJob = Task & RunFields & { kid: string; group?: string };
