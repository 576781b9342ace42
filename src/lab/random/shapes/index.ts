/** Every shape the randomized generator draws from, by family. */
import type { Shape } from '../shape.ts';
import { CATALOG_SHAPES } from './catalog.ts';
import { DNS_SHAPES } from './dns.ts';
import { FIREWALL_SHAPES } from './firewall.ts';
import { NODE_CONFIG_SHAPES } from './node-config.ts';
import { OVERLAY_SHAPES } from './overlay.ts';
import { POLICY_SHAPES } from './policy.ts';
import { ROUTING_SHAPES } from './routing.ts';

export const SHAPES: readonly Shape[] = [
  ...CATALOG_SHAPES,
  ...FIREWALL_SHAPES,
  ...ROUTING_SHAPES,
  ...OVERLAY_SHAPES,
  ...NODE_CONFIG_SHAPES,
  ...DNS_SHAPES,
  ...POLICY_SHAPES,
];
