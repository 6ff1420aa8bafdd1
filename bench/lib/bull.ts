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

export function spawnTrue(): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/bash', ['-c', 'true'], { stdio: 'ignore' });
    child.on('exit', () => resolve());
    child.on('error', () => resolve());
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

  async addBulk(jobs: BullJob[], batch = 1000): Promise<void> {
    for (let i = 0; i < jobs.length; i += batch) {
      await this.queue.addBulk(
        jobs
          .slice(i, i + batch)
          .map((j) => ({ name: j.name, data: j.data, opts: { delay: j.delayMs, removeOnComplete: true } })),
      );
    }
  }

  work(processor: (data: Record<string, unknown>) => Promise<void>, concurrency: number): void {
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
