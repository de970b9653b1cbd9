import { z } from 'zod';

export const HypervisorType = z.enum(['libvirt', 'vsphere']);
export type HypervisorType = z.infer<typeof HypervisorType>;

const name = z.string().trim().min(1, 'A name is required').max(100);
const uri = z.string().trim().min(1, 'A URI is required').max(2048);

/** What an administrator types in the Add hypervisor dialog or `hyperkeep hypervisor add`. */
export const HypervisorInput = z.object({
  name,
  type: HypervisorType,
  uri,
  username: z.string().max(256).optional(),
  /** Write-only: stored encrypted, never returned. */
  password: z.string().max(4096).optional(),
  /** vSphere: SHA-256 fingerprint of the server certificate the administrator accepted. */
  certificateFingerprint: z.string().max(200).optional(),
});
export type HypervisorInput = z.infer<typeof HypervisorInput>;

export const HypervisorUpdate = z.object({
  id: z.string().min(1),
  name: name.optional(),
  uri: uri.optional(),
  username: z.string().max(256).optional(),
  /** undefined keeps the stored password, '' clears it. */
  password: z.string().max(4096).optional(),
  /** vSphere: a newly accepted certificate fingerprint; undefined keeps the stored one. */
  certificateFingerprint: z.string().max(200).optional(),
});
export type HypervisorUpdate = z.infer<typeof HypervisorUpdate>;

export const HostInfo = z.object({
  hostname: z.string(),
  hypervisorVersion: z.string(),
  cpuModel: z.string(),
  cpus: z.number().int(),
  memoryBytes: z.number(),
});
export type HostInfo = z.infer<typeof HostInfo>;

/** A registered hypervisor as the console sees it. The password never leaves the engine. */
export const Hypervisor = z.object({
  id: z.string(),
  name: z.string(),
  type: HypervisorType,
  uri: z.string(),
  username: z.string().optional(),
  hasPassword: z.boolean(),
  createdAt: z.string(),
  /** The host's own name, as last seen (used by host-affinity rules). */
  hostname: z.string().optional(),
  /** vSphere: the pinned SHA-256 fingerprint of the server certificate. */
  certificateFingerprint: z.string().optional(),
});
export type Hypervisor = z.infer<typeof Hypervisor>;

export const ConnectionTestResult = z.object({
  ok: z.boolean(),
  host: HostInfo.optional(),
  vmCount: z.number().int().optional(),
  latencyMs: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** vSphere: the certificate the server presented, shown to the administrator for acceptance. */
  certificate: z
    .object({ fingerprint: z.string(), subject: z.string(), validTo: z.string() })
    .optional(),
});
export type ConnectionTestResult = z.infer<typeof ConnectionTestResult>;
