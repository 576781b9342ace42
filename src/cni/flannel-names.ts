/** The names flannel gives what it creates on a node, for the rules, the tracer and the repairs. */
import { LINUX_VXLAN_PORT } from './vxlan.ts';

/** The VXLAN device flannel's vxlan backend creates (VNI 1). */
export const FLANNEL_VXLAN_DEV = 'flannel.1';

/** The port flannel's vxlan backend listens on unless net-conf.json's Backend.Port says otherwise. */
export const FLANNEL_VXLAN_PORT = LINUX_VXLAN_PORT;

/** The Linux bridge the bridge CNI plugin (under flannel) attaches pods to. */
export const CNI_BRIDGE = 'cni0';
