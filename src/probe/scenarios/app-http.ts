import type { PlanInput, PlanNode, PlannedProbe } from '../types.ts';

/** Variant that marks an application check, so consumers can tell it from the probe-server mesh. */
export const APP_VARIANT = 'app';

/** `<namespace>/<pod>:<port>`: the tail of an app probe's id. */
export function appTargetName(t: { namespace: string; pod: string; port: number }): string {
  return `${t.namespace}/${t.pod}:${t.port}`;
}

/**
 * HTTP GETs from a pod on `from` to each application pod's IP and port (seed 002: the debug pod
 * curling the Jellyfin pod). Part of the pod-to-pod-tcp scenario, with variant `app`; nothing
 * unless targets are given (`netdoctor validate --target ns/pod:port`).
 */
export function appProbes(input: PlanInput, from: PlanNode): PlannedProbe[] {
  return (input.appTargets ?? []).map((t) => ({
    scenario: 'pod-to-pod-tcp' as const,
    from: from.name,
    to: `app/${appTargetName(t)}`,
    target: {
      kind: 'fixed' as const,
      ip: t.ip ?? '',
      pod: t.pod,
      namespace: t.namespace,
      ...(t.node ? { node: t.node } : {}),
    },
    command: { kind: 'http' as const, port: t.port, path: '/', tries: 2 },
    protocol: 'tcp' as const,
    variant: APP_VARIANT,
    name: appTargetName(t),
    ...(t.ip ? {} : { skip: t.missing ?? `${appTargetName(t)} has no pod IP` }),
  }));
}
