/** The one way to build an add-on context, shared by `up` and the faults that re-apply add-ons. */

import type { LabProxyMode } from '../proxy-mode.ts';
import { apiServerUrl, type LabTopology } from '../topology.ts';
import type { LabVersions } from '../versions.ts';
import type { AddonContext } from './addon.ts';

/** Registry part of every locally built image; lab/images.sh writes the same. */
export const IMAGE_REGISTRY = 'netdoctor.lab';

export function addonContext(versions: LabVersions, t: LabTopology, proxyMode: LabProxyMode): AddonContext {
  return {
    versions,
    proxyMode,
    apiServer: apiServerUrl(t),
    image: (name, tag) => `${IMAGE_REGISTRY}/${name}:${tag}`,
  };
}
