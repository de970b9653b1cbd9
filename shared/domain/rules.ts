import { z } from 'zod';
import { PowerState } from './vm';

/**
 * Auto-discovery rules (patent 000 FIG. 4/5A, plus what today's products offer): each rule tests
 * one property of a VM. Text rules are JavaScript regular expressions; `negate` inverts a rule.
 */
const pattern = z.string().min(1, 'A pattern is required').max(500);

export const Rule = z.discriminatedUnion('type', [
  /** Match VM names by regular expression (FIG. 4). */
  z.object({
    type: z.literal('name'),
    pattern,
    caseSensitive: z.boolean().default(false),
    negate: z.boolean().default(false),
  }),
  /** VM host affinity (FIG. 4): the hypervisor's registered name or the host's hostname. */
  z.object({
    type: z.literal('host'),
    value: z.string().min(1).max(255),
    negate: z.boolean().default(false),
  }),
  /** Storage pool / datastore / path: matches any disk whose source path or pool matches. */
  z.object({ type: z.literal('storage'), pattern, negate: z.boolean().default(false) }),
  z.object({
    type: z.literal('power-state'),
    value: PowerState,
    negate: z.boolean().default(false),
  }),
  z.object({ type: z.literal('guest-os'), pattern, negate: z.boolean().default(false) }),
  /** A metadata key (libvirt <metadata> child / vSphere custom attribute); value regex optional. */
  z.object({
    type: z.literal('tag'),
    key: z.string().min(1).max(255),
    pattern: z.string().max(500).optional(),
    negate: z.boolean().default(false),
  }),
  z.object({ type: z.literal('description'), pattern, negate: z.boolean().default(false) }),
]);
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;
export type RuleType = Rule['type'];

/** A subclient's membership: rules combined with all/any, minus exclusions, plus manual VMs. */
export const SubclientContent = z.object({
  match: z.enum(['all', 'any']).default('any'),
  rules: z.array(Rule).max(50).default([]),
  /** A VM matching any exclusion is never a member by rule (manual assignment still wins). */
  exclusions: z.array(Rule).max(50).default([]),
});
export type SubclientContent = z.infer<typeof SubclientContent>;
