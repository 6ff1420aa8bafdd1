// BullMQ, the peer: delayed jobs on the same private Redis, processed by a worker that does
// the same work as ktimer (call the sink, or spawn /bin/bash -c).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { Queue, Worker } from 'bullmq';

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

export function callSink(url: string): Promise<void> {
  return new Promise((resolve) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', () => resolve());
  });
}

/**
 * Calls the sink and resolves with the body it answered ('' on an error): a processor returning
 * it keeps it as the job's result, as ktimer keeps a URL run's response body as its output.
 */
export function fetchSink(url: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      })
      .on('error', () => resolve(''));
  });
}

/**
 * What a BullMQ job that runs a shell command does, as ktimer does for a shell task: start
 * `/bin/bash -c` in its own process group, keep the tail of its output, and return the exit
 * code with it (a job's result).
 */
export function runCommand(command: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn('/bin/bash', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => {
      chunks.push(c);
      if (chunks.length > 64) chunks.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).subarray(-4096).toString() }));
    child.on('error', () => resolve({ code: null, output: '' }));
  });
}

export interface BullJob {
  name: string;
  data: Record<string, unknown>;
  delayMs: number;
}

export class Bull {
  readonly queue: Queue;
  private worker: Worker | undefined;

  constructor(
    readonly name: string,
    private readonly port: number,
  ) {
    this.queue = new Queue(name, { connection: { host: '127.0.0.1', port } });
  }

  /**
   * Adds delayed jobs in batches. `keepCompleted`: completed jobs stay in Redis with their result
   * (BullMQ's default), as ktimer keeps a record of every run; else they are removed at once, as
   * ktimer removes a fired timer.
   */
  async addBulk(jobs: BullJob[], options: { batch?: number; keepCompleted?: boolean } = {}): Promise<void> {
    const batch = options.batch ?? 1000;
    const removeOnComplete = options.keepCompleted !== true;
    for (let i = 0; i < jobs.length; i += batch) {
      await this.queue.addBulk(
        jobs
          .slice(i, i + batch)
          .map((j) => ({ name: j.name, data: j.data, opts: { delay: j.delayMs, removeOnComplete } })),
      );
    }
  }

  /** Processes jobs; what `processor` resolves with is the job's result (kept with a completed job). */
  work(processor: (data: Record<string, unknown>) => Promise<unknown>, concurrency: number): void {
    this.worker = new Worker(this.name, async (job) => processor(job.data as Record<string, unknown>), {
      connection: { host: '127.0.0.1', port: this.port, maxRetriesPerRequest: null },
      concurrency,
    });
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.obliterate({ force: true }).catch(() => {});
    await this.queue.close();
  }
}
