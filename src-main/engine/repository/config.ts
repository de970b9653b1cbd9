import { z } from 'zod';
import { HyperkeepError } from '../../../shared/errors';
import { CHUNKER_ALGORITHMS, validateChunkerParams } from './fastcdc';

/**
 * `config`: the one plaintext object that says how to read everything else. It carries no secret
 * for an encrypted repository; an unencrypted one stores its id key here (ids are still keyed, so
 * the two kinds of repository share every code path).
 */
export const RepositoryConfigSchema = z.object({
  format: z.literal('hyperkeep-repository'),
  version: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.string(),
  encryption: z.enum(['chacha20-poly1305', 'none']),
  chunker: z.object({
    algorithm: z.enum(CHUNKER_ALGORITHMS),
    minSize: z.number().int(),
    avgSize: z.number().int(),
    maxSize: z.number().int(),
  }),
  compression: z.object({ algorithm: z.literal('zstd'), level: z.number().int().min(0).max(19) }),
  /** Packs are sealed once they reach this many bytes. */
  packTargetSize: z
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024),
  /** Only for encryption 'none': the BLAKE3 id key, base64. */
  idKey: z.string().optional(),
});
export type RepositoryConfig = z.infer<typeof RepositoryConfigSchema>;

export function parseConfig(bytes: Uint8Array, location: string): RepositoryConfig {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `${location} is not a Hyperkeep repository: its config is not JSON`,
    );
  }
  const parsed = RepositoryConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `${location} is not a Hyperkeep repository of a version this program reads: ${parsed.error.issues[0]?.message ?? 'bad config'}`,
    );
  }
  validateChunkerParams(parsed.data.chunker);
  if (parsed.data.encryption === 'none' && parsed.data.idKey === undefined) {
    throw new HyperkeepError(
      'INVALID_INPUT',
      `The config of the unencrypted repository at ${location} has no id key`,
    );
  }
  return parsed.data;
}

export function serializeConfig(config: RepositoryConfig): Uint8Array {
  return Buffer.from(JSON.stringify(config, null, 2));
}
