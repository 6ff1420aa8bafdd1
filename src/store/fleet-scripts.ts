// Definitions of the fleet's scripts (lua/heartbeat.lua): keys, arguments and checked replies.
import { countReply, NONE, type Script } from './script.js';

export interface Heartbeat {
  owner: string;
  /** What the daemon is, now (fleet-store.ts DaemonRecord), as JSON. */
  json: string;
  nowMs: number;
  /** Daemons last heard of before this are forgotten, unix ms. */
  forgetBeforeMs: number;
}

const HEARTBEAT_ARGV = {
  fixed: { owner: 'string', daemon_json: 'string', now_ms: 'number', forget_before: 'number' },
  each: NONE,
} as const;

/** Replies how many silent daemons were forgotten. */
export const HEARTBEAT: Script<Heartbeat, number, typeof HEARTBEAT_ARGV> = {
  name: 'heartbeat',
  keys: ['daemons', 'daemonsSeen'],
  argv: HEARTBEAT_ARGV,
  encode: (h) => ({
    fixed: {
      owner: h.owner,
      daemon_json: h.json,
      now_ms: Math.floor(h.nowMs),
      forget_before: Math.floor(h.forgetBeforeMs),
    },
  }),
  decode: (reply) => countReply('heartbeat', reply),
};

export interface ShardLeaseCall {
  owner: string;
  leaseMs: number;
  /** Take or keep the lease; false: let it go. */
  take: boolean;
}

const SHARD_LEASE_ARGV = {
  fixed: { owner: 'string', lease_ms: 'number', take: 'flag' },
  each: NONE,
} as const;

/** Replies whether the daemon holds the shard's lease after the call. */
export const SHARD_LEASE: Script<ShardLeaseCall, boolean, typeof SHARD_LEASE_ARGV> = {
  name: 'shard_lease',
  keys: ['shardLease'],
  argv: SHARD_LEASE_ARGV,
  encode: (c) => ({ fixed: { owner: c.owner, lease_ms: Math.floor(c.leaseMs), take: c.take } }),
  decode: (reply) => countReply('shard_lease', reply) === 1,
};
