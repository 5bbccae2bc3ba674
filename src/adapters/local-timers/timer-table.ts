// Where LocalWakeupScheduler keeps its timers durable: one row per (pod, timerId) holding the instant. Adapters:
// SqliteTimerTable (the local default, in the pod store's database) and DynamoDbTimerTable (items in the single
// DynamoDB table, for `--store dynamodb`).
import type { PodKey } from '../../ports/pod-key.ts';

export interface StoredTimer {
  key: PodKey;
  timerId: string;
  /** Epoch ms. */
  at: number;
}

export interface TimerTable {
  /** Stores the timer, replacing the instant of an existing one (unconditional). Durable once it resolves. */
  put(timer: StoredTimer): Promise<void>;
  /** Deletes the timer; a missing one is fine. */
  delete(key: PodKey, timerId: string): Promise<void>;
  /** Deletes the timer only if it still holds `at`: a re-schedule that replaced the instant must survive. */
  deleteIfAt(key: PodKey, timerId: string, at: number): Promise<void>;
  /** Every stored timer, in no particular order. */
  list(): Promise<StoredTimer[]>;
}
