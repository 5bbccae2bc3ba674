// TEST DOUBLE support — what the billed dimensions of a deployment add up to on the emulators: each emulator records
// the units AWS bills for the calls it serves, by the caller (a function's name, `states` for the state machine, a
// log group), so that a test can measure what a pod costs per hour (test/cloud/cost-measurement.test.ts, read by
// scripts/cost.ts). The units follow the services' pricing pages:
//   lambda.requests, lambda.seconds     each invocation; its duration rounded up to 1 ms (GB-seconds are that times
//                                      the memory the template gives the function: scripts/cost.ts). Durations are
//                                      the emulator's worker threads' — on a shared test machine, an upper bound of
//                                      what Lambda measures
//   sfn.transitions                    each state entered and each retry of a Standard execution
//   ddb.readUnits, ddb.writeUnits      on-demand request units as DynamoDB computes consumed capacity: reads 4 KB
//                                      per unit (half for eventually consistent), writes 1 KB per unit of the larger
//                                      of the old and new item; a conditional write that fails consumes 1 unit
//   scheduler.invocations              each schedule firing (EventBridge Scheduler bills invocations)
//   logs.bytes                         each log event's message bytes plus 26 (PutLogEvents' per-event size)
export type UsageKind =
  | 'lambda.requests'
  | 'lambda.seconds'
  | 'sfn.transitions'
  | 'ddb.readUnits'
  | 'ddb.writeUnits'
  | 'scheduler.invocations'
  | 'logs.bytes';

export type Usage = Record<string, Partial<Record<UsageKind, number>>>;

export class UsageMeter {
  readonly #usage: Usage = {};

  record(caller: string, kind: UsageKind, amount: number): void {
    const entry = (this.#usage[caller] ??= {});
    entry[kind] = (entry[kind] ?? 0) + amount;
  }

  /** A copy of everything recorded so far. */
  snapshot(): Usage {
    return JSON.parse(JSON.stringify(this.#usage)) as Usage;
  }

  /** What was recorded between two snapshots. */
  static since(before: Usage, after: Usage): Usage {
    const out: Usage = {};
    for (const [caller, kinds] of Object.entries(after)) {
      for (const [kind, value] of Object.entries(kinds) as Array<[UsageKind, number]>) {
        const d = value - (before[caller]?.[kind] ?? 0);
        if (d !== 0) (out[caller] ??= {})[kind] = d;
      }
    }
    return out;
  }
}
