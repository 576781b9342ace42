/**
 * Encapsulation facts every overlay CNI shares (flannel's vxlan backend, Calico's VXLAN and
 * IP-in-IP modes, Cilium's tunnel mode): the bytes it adds to a frame and the UDP ports it is
 * found on. Defined here once; the adapters, the tracer, the probes and the repairs read them.
 */

/** IPv4 VXLAN encapsulation: outer Ethernet 14 + outer IP 20 + UDP 8 + VXLAN 8 bytes per frame. */
export const VXLAN_OVERHEAD = 50;

/** IPv4 IP-in-IP encapsulation: one outer IPv4 header. */
export const IPIP_OVERHEAD = 20;

/** The Linux kernel's historical VXLAN port, flannel's and Cilium's default. */
export const LINUX_VXLAN_PORT = 8472;

/** The IANA-assigned VXLAN port, Calico's default and the one a device made without a port uses. */
export const IANA_VXLAN_PORT = 4789;

/** Both ports, for when a node's own VXLAN devices do not say which one it uses. */
export const VXLAN_PORTS: readonly number[] = [LINUX_VXLAN_PORT, IANA_VXLAN_PORT];
