/** Seed 004: a Service's selector has a typo, so it selects no pod and has no endpoints. */
import { DEMO_NAMESPACE } from '../addons/demo.ts';
import type { Fault } from './fault.ts';

export const serviceSelectorTypo: Fault = {
  id: 'service-selector-typo',
  summary: `Service ${DEMO_NAMESPACE}/web selects app=wbe instead of app=web`,
  expectedRootCause: 'service.no-endpoints',
  scope: 'cluster',
  inject: async (ctx) => {
    ctx.kubectl([
      '-n',
      DEMO_NAMESPACE,
      'patch',
      'service',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"app":"wbe"}}}',
    ]);
    return {};
  },
  heal: async (ctx) => {
    ctx.kubectl([
      '-n',
      DEMO_NAMESPACE,
      'patch',
      'service',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"app":"web"}}}',
    ]);
  },
  residue: (ctx) => {
    const sel = ctx.tryKubectl([
      '-n',
      DEMO_NAMESPACE,
      'get',
      'service',
      'web',
      '-o',
      'jsonpath={.spec.selector}',
    ]);
    return sel.stdout.includes('"app":"web"')
      ? []
      : [`Service ${DEMO_NAMESPACE}/web selects ${sel.stdout || '?'}`];
  },
};
