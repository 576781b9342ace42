import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { analyze } from '../../analyze/engine.ts';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import { checkOutDir, outDirFromFlag } from '../../collect/bundle/out-dir.ts';
import { readBundle } from '../../collect/bundle/read.ts';
import { bundleDirName } from '../../collect/bundle/write.ts';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENT_NAMESPACE } from '../../collect/node/agent-pod.ts';
import { EXIT } from '../../core/errors.ts';
import { newRunId, runDiagnosis } from '../../diagnose/pipeline.ts';
import { executePlan } from '../../remediate/executor.ts';
import { loadManifest } from '../../remediate/manifest-source.ts';
import { PodNodeRunner } from '../../remediate/node-exec.ts';
import { planRepairs } from '../../remediate/planner.ts';
import type { RepairOptions } from '../../remediate/step.ts';
import { renderValidationText, runValidation } from '../../remediate/validate.ts';
import { createProgress } from '../../report/index.ts';
import { type BundleLimitFlags, limitsFrom, withBundleLimitOptions } from '../bundle-limit-options.ts';
import { duration } from '../option-parsers.ts';
import { agentImageOf, agentImageOptions } from '../options.ts';
import { isEmergencyRun, runEmergencyFix } from './fix-emergency.ts';

interface FixFlags {
  bundle?: string;
  out?: string;
  dryRun?: boolean;
  nonInteractive?: boolean;
  force?: boolean;
  only?: string[];
  allowUpstreamChange?: boolean;
  emergencyAllowDns?: boolean;
  allowAppChange?: boolean;
  recreateBarePods?: boolean;
  allowFirewallChange?: boolean;
  emergencyAllowAll?: string[];
  revert?: string;
  manifest?: string;
  kubeconfig?: string;
  context?: string;
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
  agentNamespace: string;
  externalTarget?: string;
  externalName?: string;
  /** Milliseconds. */
  verifyTimeout: number;
}

/** `netdoctor fix`: plan and apply repairs for the diagnosed root causes. */
export function registerFix(program: Command): void {
  const [imageOption, toolboxAlias, probeAlias] = agentImageOptions(DEFAULT_AGENT_IMAGE);
  const cmd = program
    .command('fix')
    .description('plan and apply ordered, verified repairs for the diagnosed root causes')
    .option(
      '--bundle <dir>',
      'the diagnosis bundle to repair from (written by `netdoctor diagnose`); default: diagnose now',
    )
    .option('--out <dir>', 'bundle directory of the fresh diagnosis when no --bundle is given')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--non-interactive', 'do not ask before each step')
    .option('--force', 'act on partial pattern matches (root causes below the confirmation threshold)')
    .option('--only <step...>', 'only these step ids')
    .option('--allow-upstream-change', "consent to change CoreDNS's upstream or Corefile")
    .option('--emergency-allow-dns', 'consent to add an emergency DNS egress allow policy')
    .option(
      '--allow-app-change',
      'consent to edit an application object (a Service selector) when the diagnosis shows an unambiguous near-miss label',
    )
    .option(
      '--recreate-bare-pods',
      'consent to recreate bare pods (no controller to bring them back) from their own spec, where a repair recreates the pods on a node',
    )
    .option(
      '--allow-firewall-change',
      'consent to delete a host firewall rule that the diagnosis traced failed probes to (that exact rule, backed up first)',
    )
    .option(
      '--emergency-allow-all <namespace...>',
      "emergency, with consent: back up the namespace's NetworkPolicies exactly, then add one policy allowing all ingress and egress of its pods (several namespaces: list them or repeat the flag); no diagnosis; prints the revert command",
    )
    .option(
      '--revert <fix-dir>',
      'undo --emergency-allow-all: restore the policies of that fix directory exactly as backed up and delete the bypass (idempotent)',
    )
    .option(
      '--manifest <path>',
      'the last known CNI manifest, for reinstalling a deleted DaemonSet: a YAML file, or an earlier netdoctor bundle (directory or .tar.gz) that recorded the DaemonSet',
    )
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .addOption(imageOption)
    .addOption(toolboxAlias)
    .addOption(probeAlias)
    .option('--agent-namespace <ns>', 'namespace for agent and probe pods', DEFAULT_AGENT_NAMESPACE)
    .option('--external-target <url>', 'external URL the probes and the validation fetch')
    .option('--external-name <name>', 'external name the validation resolves through cluster DNS')
    .addOption(
      new Option(
        '--verify-timeout <duration>',
        'how long each step waits for its verification: 180, 180s, 3m, 1m30s',
      )
        .argParser(duration({ min: 1000, max: 24 * 3_600_000 }))
        .default(180_000, '3m'),
    );
  withBundleLimitOptions(cmd).action(async (flags: FixFlags & BundleLimitFlags) => {
    const port = new KubePort(
      loadKubeConfig({
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(flags.context ? { context: flags.context } : {}),
      }),
    );
    if (isEmergencyRun(flags)) {
      const rl = flags.nonInteractive
        ? undefined
        : createInterface({ input: process.stdin, output: process.stdout });
      try {
        await runEmergencyFix(port, flags, {
          out: (s) => process.stdout.write(s),
          nonInteractive: flags.nonInteractive === true,
          ...(rl
            ? { confirm: async (q: string) => /^y(es)?$/i.test((await rl.question(`${q} [y/N] `)).trim()) }
            : {}),
        });
      } finally {
        rl?.close();
      }
      return;
    }
    const outDir =
      flags.bundle === undefined ? outDirFromFlag(flags.out, () => bundleDirName(new Date())) : undefined;
    if (outDir !== undefined) await checkOutDir(outDir);
    // Read --manifest first: a wrong path should fail before a diagnosis is spent on it.
    const manifest = flags.manifest ? await loadManifest(flags.manifest) : undefined;
    let bundleDir = flags.bundle ?? '';
    if (outDir !== undefined) {
      // No diagnosis given: run one now (read-only), then plan from the bundle it wrote.
      const progress = createProgress(process.stderr);
      try {
        const diagnosis = await runDiagnosis(port, {
          outDir,
          nodeAccess: { kind: 'agent', image: agentImageOf(flags), namespace: flags.agentNamespace },
          probes: true,
          probeNamespace: flags.agentNamespace,
          probeImage: agentImageOf(flags),
          ...(flags.externalTarget ? { externalTarget: flags.externalTarget } : {}),
          ...(flags.externalName ? { externalName: flags.externalName } : {}),
          ...(port.target.context ? { context: port.target.context } : {}),
          progress,
        });
        bundleDir = diagnosis.bundleDir;
      } finally {
        progress.stop();
      }
      process.stderr.write(`diagnosis bundle: ${bundleDir}\n`);
    }
    const snapshot = await readBundle(bundleDir, { limits: limitsFrom(flags) });
    const report = analyze(snapshot);
    const options: RepairOptions = {
      force: flags.force === true,
      only: flags.only ?? [],
      allowUpstreamChange: flags.allowUpstreamChange === true,
      emergencyAllowDns: flags.emergencyAllowDns === true,
      allowAppChange: flags.allowAppChange === true,
      recreateBarePods: flags.recreateBarePods === true,
      allowFirewallChange: flags.allowFirewallChange === true,
      ...(manifest ? { manifest } : {}),
    };
    const plan = planRepairs({ report, snapshot, options });
    const out = (s: string) => process.stdout.write(s);
    if (report.verdict === 'inconclusive' && plan.steps.length === 0) {
      // Nothing to repair is not "healthy" when the diagnosis could not see enough.
      process.stderr.write(
        `nothing to repair, but the diagnosis is inconclusive: ${report.coverage.shortfalls.join('; ')}\n`,
      );
      process.exitCode = EXIT.inconclusive;
      return;
    }
    if (flags.dryRun) {
      await executePlan(plan, undefined as never, {
        dryRun: true,
        nonInteractive: true,
        bundleDir,
        out,
      });
      return;
    }
    const nodes = new PodNodeRunner(port, {
      image: agentImageOf(flags),
      namespace: 'kube-system',
      runId: newRunId(),
      timeoutMs: 120_000,
    });
    const rl = flags.nonInteractive
      ? undefined
      : createInterface({ input: process.stdin, output: process.stdout });
    try {
      const result = await executePlan(
        plan,
        {
          port,
          nodes,
          verifyTimeoutMs: flags.verifyTimeout,
          pollMs: 2000,
          snapshot,
          log: (l) => process.stderr.write(`${l}\n`),
        },
        {
          dryRun: false,
          nonInteractive: flags.nonInteractive === true,
          bundleDir,
          out,
          validate: async () => {
            out('\n== validation\n');
            const v = await runValidation(port, {
              image: agentImageOf(flags),
              namespace: flags.agentNamespace,
              runId: newRunId(),
              ...(flags.externalTarget ? { externalTarget: flags.externalTarget } : {}),
              ...(flags.externalName ? { externalName: flags.externalName } : {}),
            });
            out(renderValidationText(v));
            return v.passed;
          },
          ...(rl
            ? { confirm: async (q: string) => /^y(es)?$/i.test((await rl.question(`${q} [y/N] `)).trim()) }
            : {}),
        },
      );
      if (result.status === 'done') {
        out(`\naudit log and backups: ${result.fixDir}\n`);
        const leftOver = [
          ...(plan.skipped.length > 0
            ? [`${plan.skipped.length} root cause(s) not repaired (listed above)`]
            : []),
          ...(result.validation === 'failed' ? ['the validation failed'] : []),
        ];
        if (leftOver.length > 0) {
          process.stderr.write(`netdoctor: not everything is fixed: ${leftOver.join('; ')}\n`);
          process.exitCode = EXIT.problems;
        }
      }
    } finally {
      rl?.close();
    }
  });
}
