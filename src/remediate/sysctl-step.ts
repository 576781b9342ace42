/** A repair step that sets one sysctl on the affected nodes, recording each node's old value. */
import type { RootCauseCategory } from '../core/model.ts';
import type { StepId } from '../core/step-id.ts';
import type { AppliedAction, AppliedRecord, Phase, RepairStep, UndoAction } from './step.ts';
import { basePlan, causeNodes, nodeCommand, planned, pollUntil, runUndo, sh } from './step-kit.ts';

/** What apply needs: the nodes whose sysctl is set. */
type Params = { nodes: string[] };

export interface SysctlStepSpec {
  id: StepId;
  title: string;
  phase: Phase;
  order: number;
  handles: RootCauseCategory[];
  key: string;
  value: string;
  /** A script run before the write (e.g. `modprobe br_netfilter`), in the node's mount namespace. */
  prepare?: string;
  persistNote: string;
}

export function procPath(key: string): string {
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/** Builds a sysctl step from its spec. */
export function sysctlStep(spec: SysctlStepSpec): RepairStep<Params> {
  const read = (node: string) => nodeCommand(node, `cat ${procPath(spec.key)}`, `read ${spec.key}`);
  const step: RepairStep<Params> = {
    id: spec.id,
    title: spec.title,
    phase: spec.phase,
    order: spec.order,
    handles: spec.handles,
    plan(input) {
      const nodes = causeNodes(input.causes).filter(
        (n) => input.snapshot.nodes[n]?.sysctls?.[spec.key] !== spec.value,
      );
      if (nodes.length === 0)
        return {
          status: 'nothing-to-do',
          reason: `${spec.key} is already ${spec.value} on every affected node`,
        };
      const plan = basePlan(step, input);
      for (const n of nodes) {
        if (spec.prepare)
          plan.nodeCommands.push(nodeCommand(n, spec.prepare, 'load what the sysctl needs', true));
        plan.nodeCommands.push(
          nodeCommand(
            n,
            `echo ${spec.value} > ${procPath(spec.key)}`,
            `${spec.key}: ${input.snapshot.nodes[n]?.sysctls?.[spec.key] ?? '?'} -> ${spec.value}`,
          ),
        );
      }
      const params: Params = { nodes };
      plan.verification = `re-read ${spec.key} on ${nodes.join(', ')}; expect ${spec.value}`;
      plan.rollback = `write each node's previous value (read just before the change) back to ${procPath(spec.key)}`;
      plan.notes.push(spec.persistNote);
      return planned(plan, params);
    },
    preconditions(plan) {
      return plan.params.nodes.map((n) => ({
        what: `can run a command on ${n} and read ${spec.key}`,
        async run(exec) {
          const r = await exec.nodes.run(n, read(n).argv, { hostMount: false });
          return r.exitCode === 0 || spec.prepare
            ? { status: 'ok' as const }
            : {
                status: 'failed' as const,
                reason: `reading ${spec.key} on ${n} exited ${r.exitCode}: ${r.stdout.trim()}`,
              };
        },
      }));
    },
    async apply(exec, plan) {
      const actions: AppliedAction[] = [];
      const undo: UndoAction[] = [];
      const facts: Record<string, string> = {};
      for (const n of plan.params.nodes) {
        if (spec.prepare) {
          const p = await exec.nodes.run(n, sh(spec.prepare), { hostMount: true });
          actions.push({ target: `node/${n}`, command: spec.prepare, result: `exit ${p.exitCode}` });
        }
        const before = await exec.nodes.run(n, read(n).argv, { hostMount: false });
        const old = before.exitCode === 0 ? before.stdout.trim() : undefined;
        facts[n] = old ?? '(unreadable)';
        if (old === spec.value) continue;
        const set = `echo ${spec.value} > ${procPath(spec.key)}`;
        const r = await exec.nodes.run(n, sh(set), { hostMount: false });
        if (old !== undefined)
          undo.push({
            type: 'node',
            node: n,
            argv: sh(`echo ${old} > ${procPath(spec.key)}`),
            hostMount: false,
          });
        actions.push({
          target: `node/${n}`,
          command: set,
          ...(old !== undefined ? { before: old } : {}),
          after: spec.value,
          result: `exit ${r.exitCode}`,
        });
        if (r.exitCode !== 0) throw new Error(`${set} on ${n} exited ${r.exitCode}: ${r.stdout.trim()}`);
      }
      if (undo.length === 0 && actions.every((a) => a.after === undefined)) {
        return {
          status: 'no-op',
          step: spec.id,
          reason: `${spec.key} already ${spec.value} on every node`,
          facts,
        };
      }
      return { status: 'applied', step: spec.id, actions, undo, facts } satisfies AppliedRecord;
    },
    async verify(exec, _record, plan) {
      return pollUntil(exec, async () => {
        const bad: string[] = [];
        for (const n of plan.params.nodes) {
          const r = await exec.nodes.run(n, read(n).argv, { hostMount: false });
          if (r.stdout.trim() !== spec.value) bad.push(`${n}: ${r.stdout.trim() || `exit ${r.exitCode}`}`);
        }
        return bad.length === 0
          ? { ok: true, detail: `${spec.key} = ${spec.value} on every node` }
          : { ok: false, reason: `${spec.key} is not ${spec.value} on ${bad.join(', ')}` };
      });
    },
    rollback: runUndo,
  };
  return step;
}
