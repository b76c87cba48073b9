/**
 * The drill's narrator: turns what the workflow executions do (started, each step, approvals,
 * crashes, redrives, ends) into the readable lines of the run's timeline.
 */
import { ERROR_NAMES } from '../../lambdas/shared/errors.js';
import type { World } from '../world.js';
import type { ApprovalAsk, ExecutionRecord, StepRecord } from './sfn-runtime.js';

export const shortName = (name: string): string => name.slice(0, 8);
export const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * Turns execution records into readable timeline lines: one per meaningful step. Entries that
 * mark an incident phase carry `detail.phase` (the chart's bands).
 */
export class Narrator {
  private readonly writable = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly database: string,
  ) {}

  /**
   * Runs of the config's other databases are shown too, named by their database (a fault of one
   * database must not make another fail over, and when it does the timeline says so); the
   * incident phases (the chart's bands) are the scenario database's only.
   */
  private log(e: ExecutionRecord, text: string, detail: Record<string, unknown> = {}): void {
    const other = e.database !== undefined && e.database !== this.database;
    const { phase: _phase, ...notPhase } = detail;
    this.world.log('workflow', `${e.stateMachine} ${shortName(e.name)}${other ? ` (${e.database})` : ''}: ${text}`, {
      execution: e.name,
      stateMachine: e.stateMachine,
      ...(other ? { ...notPhase, database: e.database } : detail),
    });
  }

  started(e: ExecutionRecord): void {
    this.log(e, 'started');
  }

  step(e: ExecutionRecord, s: StepRecord): void {
    const out = (s.output ?? {}) as Record<string, unknown>;
    const input = (s.input ?? {}) as Record<string, unknown>;
    const failover = e.stateMachine === 'failover';
    if (s.error) {
      if (s.folder === 'probe-vantage') return;
      if (s.error.name === ERROR_NAMES.recordOriginalsFirst) {
        // Not a failure: the fence changed nothing and asks for its originals to be kept first (record-fence, then the fence again).
        this.log(e, `"${s.state}": originals to keep first, nothing changed yet: ${truncate(s.error.cause, 300)}`, { state: s.state, unsaved: s.error.cause });
        return;
      }
      this.log(e, `"${s.state}" failed: ${s.error.name}: ${truncate(s.error.cause, 600)}`, { state: s.state, error: s.error.name, cause: s.error.cause });
      return;
    }
    switch (s.folder) {
      case 'accept-trigger':
        this.log(e, `trigger: ${String(out.summary ?? out.kind)}`, { trigger: out.kind, source: out.source });
        return;
      case 'manage-lease': {
        const action = String(input.action);
        if (action === 'acquire') {
          if (out.acquired) this.log(e, `took the incident lease (epoch ${String(out.epoch)})`, { epoch: out.epoch });
          else
            this.log(
              e,
              `stood down: ${String(out.outcome)}${out.heldBy ? ` (the lease is held by ${shortName(String(out.heldBy).split(':').pop() ?? '')})` : ''}`,
              { outcome: out.outcome },
            );
        } else if (action === 'release') this.log(e, 'released the lease');
        else if (action === 'record-failover') this.log(e, 'recorded the failover and released the lease');
        else this.log(e, `lease ${action}: ${String(out.outcome ?? 'done')}`, { action, outcome: out.outcome });
        return;
      }
      case 'record-incident': {
        const phase = String(input.phase);
        const d = (input.detail ?? {}) as Record<string, unknown>;
        const text: Record<string, string> = {
          detected: 'incident opened',
          verdict: `verdict: ${String(d.verdict)} (${truncate(String(d.reason ?? ''), 200)})`,
          'false-alarm': 'false alarm: the primary is healthy, nothing changed',
          approved: `approved by ${String((d.approval as { approver?: string } | undefined)?.approver ?? 'a human')}${d.unfenced ? ' (promote without a confirmed fence)' : ''}`,
          rejected: `rejected by ${String((d.approval as { approver?: string } | undefined)?.approver ?? 'a human')}: nothing changed`,
          'approval-timed-out': 'nobody answered the approval in time: nothing changed',
          'fence-undone': `undid its fence of the old primary (${truncate(String((d.restored as { detail?: string } | undefined)?.detail ?? ''), 200)}): nothing was promoted`,
          'failed-over': 'failed over: the standby is the new primary (operators notified)',
          'failback-scheduled': 'failback scheduled',
          escalated: `escalated to the operators (${String((d.error as { Error?: string } | undefined)?.Error ?? 'error')}); ${escalatedLease(d.lease)}`,
        };
        this.log(e, text[phase] ?? `phase ${phase}`, {
          phase,
          ...(phase === 'escalated' ? { error: (d.error as { Error?: string } | undefined)?.Error } : {}),
        });
        return;
      }
      case 'check-data-loss-budget':
        this.log(e, `data-loss budget: ${truncate(String(out.detail ?? ''), 200)}`, {
          withinBudget: out.withinBudget,
          lagSeconds: out.lagSeconds,
          boundSeconds: out.boundSeconds,
        });
        return;
      case 'record-fence': {
        const kept = out as {
          revoked?: Array<{ groupId: string; permissions: unknown[] }>;
          isolated?: Array<{ instanceId: string; originalGroupIds: string[] }>;
        };
        const what = [
          ...(kept.revoked ?? []).map((r) => `${r.permissions.length} rule(s) of ${r.groupId}`),
          ...(kept.isolated ?? []).map((i) => `${i.instanceId}'s groups ${i.originalGroupIds.join(', ') || '(none)'}`),
        ];
        this.log(e, `fence record FENCE#${String(input.incidentId)} keeps ${what.join('; ') || 'nothing'}`, { incidentId: input.incidentId });
        return;
      }
      case 'fence-primary':
        // The repeated attempts after an unfenced promotion are told once they work (or the run records that they did not).
        if (!out.confirmed && /^Fence the old primary (as soon as it answers|again while)/.test(s.state)) return;
        this.log(
          e,
          `fenced the old primary: ${out.confirmed ? 'confirmed' : 'NOT confirmed'} (${((out.actions as Array<{ action: string; result: string }>) ?? []).map((a) => `${a.action} ${a.result}`).join(', ')})`,
          failover ? { phase: 'fenced', confirmed: out.confirmed } : { confirmed: out.confirmed },
        );
        return;
      case 'promote-standby':
        if (input.phase === 'scale-up') this.log(e, `scale-up: ${String(out.action)} ${truncate(String(out.detail ?? ''), 160)}`);
        else
          this.log(
            e,
            `promotion: ${String(out.action)}${out.started ? '' : ' (already done)'}: ${truncate(String(out.detail ?? ''), 160)}`,
            failover ? { phase: 'promoting', action: out.action } : { action: out.action },
          );
        return;
      case 'check-standby':
        if (out.ready === true && !this.writable.has(e.arn)) {
          this.writable.add(e.arn);
          this.log(e, `the standby takes writes (${String(out.status)})`, failover ? { phase: 'promoted' } : {});
        }
        return;
      case 'switch-dns':
        this.log(
          e,
          out.changeId ? `DNS switched to ${String(out.current)} (change ${String(out.changeId)})` : `DNS already pointed at ${String(out.current)}`,
          failover ? { phase: 'dns-switched' } : {},
        );
        return;
      case 'verify-writes':
        this.log(e, `writes verified through ${String(out.host)}`, failover ? { phase: 'writes-verified' } : {});
        return;
      default:
        if (s.kind === 'start-execution')
          this.log(
            e,
            `started ${String(input.StateMachineArn ?? '')
              .split(':')
              .pop()}`,
          );
    }
  }

  asked(e: ExecutionRecord, a: ApprovalAsk): void {
    this.log(e, `asked a human to approve (${a.step}: ${a.decision}), expires ${a.expiresAt ?? '?'}`, {
      phase: a.step === 'failback' ? 'failback-approval' : 'approval-requested',
      step: a.step,
      decision: a.decision,
    });
  }

  answered(e: ExecutionRecord, a: ApprovalAsk): void {
    if (a.answer === 'timeout') this.log(e, `the approval (${a.step}: ${a.decision}) expired unanswered`, { step: a.step });
    else if (a.answer === 'superseded') {
      this.log(e, `new evidence withdrew the question (${a.step}: ${a.decision}): verifying again${a.reason ? ` (${truncate(a.reason, 160)})` : ''}`, {
        step: a.step,
      });
    }
  }

  crashed(e: ExecutionRecord): void {
    this.log(e, `CRASHED on entering "${e.crash?.state ?? '?'}" (injected): ABORTED after ${e.stateTransitions} state transitions`, {
      status: e.status,
      crashedAt: e.crash?.state,
    });
  }

  redriven(e: ExecutionRecord): void {
    this.log(e, `redriven (${e.redriveCount ?? 1}): resumes at "${e.crash?.resumeState ?? '?'}"`, { redrive: e.redriveCount ?? 1 });
  }

  ended(e: ExecutionRecord): void {
    this.log(e, `${e.status}${e.error ? ` (${e.error})` : ''} after ${e.stateTransitions} state transitions (${e.historyEvents} history events)`, {
      status: e.status,
      ...(e.error ? { error: e.error } : {}),
    });
  }
}

/**
 * What an escalation did with the lease, from its record's `lease` (absent: the run stopped holding
 * it, so nothing else acts on the database until a human looks).
 */
function escalatedLease(lease: unknown): string {
  if (typeof lease !== 'string') return 'the lease stays held';
  return lease.startsWith('released') ? 'the lease is released: nothing was changed' : `the lease is ${lease}`;
}
