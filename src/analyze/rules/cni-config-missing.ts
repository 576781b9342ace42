import type { CniConfigFile, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { isAbsent } from '../item-lookup.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { makeFinding, needsNodes, nodeSubject } from './support/datapath.ts';

/** Meta plugins that delegate to the cluster CNI from a config of their own. */
const DELEGATING = new Set(['multus', 'multus-shim', 'cni-genie']);

const CNI_DIR = '/etc/cni/net.d';

function describe(f: CniConfigFile): string {
  if (f.error) return `${f.file}: parse error (${f.error})`;
  return `${f.file}: ${f.name ?? '?'} [${f.plugins.join(', ')}]`;
}

/** The container runtime uses the first valid file in /etc/cni/net.d; it must exist and be the cluster CNI's. */
export const cniConfigMissing: Rule = {
  id: 'cni-config-missing',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods'], node: ['cniConfigs'] },
  title: 'CNI config present and valid',
  why: 'Without a valid CNI config in /etc/cni/net.d the kubelet cannot give new pods a network; they stay ContainerCreating or come up unreachable.',
  appliesTo: needsNodes,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const absent = dp.cniConfigs === undefined && isAbsent(ctx.snapshot, dp, 'cniConfigs');
    if (dp.cniConfigs === undefined && !absent) return { skipped: `${CNI_DIR} not collected` };
    const out: Finding[] = [];
    // The plugin type the CNI's own config must contain.
    const cni = ctx.index.cni;
    const plugin = ctx.index.cniAdapter?.cniConfig.pluginType;
    const source = `nodes/${name}/cni-net.d`;
    let problem: string | undefined;
    let expected = plugin ? `a ${cni} config (plugin type ${plugin})` : 'a valid CNI config';
    const evidence: Evidence[] = [];
    const files = dp.cniConfigs;
    if (files === undefined) {
      problem = `${CNI_DIR} does not exist`;
      evidence.push({ source, observed: `${CNI_DIR} not found`, expected });
    } else if (files.length === 0) {
      problem = `${CNI_DIR} is empty`;
      evidence.push({ source, observed: `no files in ${CNI_DIR}`, expected });
    } else {
      const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
      const valid = sorted.filter((f) => !f.error && f.plugins.length > 0);
      const listing = sorted.map(describe).join('; ');
      if (valid.length === 0) {
        problem = `every file in ${CNI_DIR} is broken`;
        evidence.push({ source, observed: listing, expected });
      } else if (plugin) {
        const first = valid[0]!;
        const own = valid.find((f) => f.plugins.includes(plugin));
        if (!own) {
          problem = `no config in ${CNI_DIR} uses the ${plugin} plugin`;
          evidence.push({ source, observed: listing, expected });
        } else if (first !== own && !first.plugins.some((p) => DELEGATING.has(p))) {
          problem = `${first.file} shadows ${own.file}`;
          expected = `${own.file} first (the runtime uses the first valid file by name)`;
          evidence.push({ source, observed: listing, expected });
        }
      }
    }
    if (!problem) return out;
    out.push(
      makeFinding(cniConfigMissing, nodeSubject(name), {
        severity: 'error',
        summary: `${name}: ${problem}`,
        evidence,
        cause: { category: 'cni.config-missing', confidence: 0.85, remediation: ['restart-cni-agent'] },
        nextCommands: [`ls -l ${CNI_DIR}`, `cat ${CNI_DIR}/*`],
      }),
    );

    return out;
  },
};
