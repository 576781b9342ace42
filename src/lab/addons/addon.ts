/** What every add-on manifest needs to know about the lab. */
import type { LabProxyMode } from '../proxy-mode.ts';
import type { LabVersions } from '../versions.ts';

export interface AddonContext {
  versions: LabVersions;
  /** The API server as nodes reach it (kube-proxy cannot use the Service it programs). */
  apiServer: string;
  /** The full reference of a locally built image. */
  image: (name: string, tag: string) => string;
  /** How kube-proxy programs Services on every node. */
  proxyMode: LabProxyMode;
}

/** One add-on: applied in list order, like kubeadm's addon phase. */
export interface Addon {
  id: string;
  manifest: (ctx: AddonContext) => string;
}
