/**
 * After an in-place restore the VM's disks are new files: the dirty bitmaps its checkpoints (the
 * changed block tracking of incremental backups) lived in are gone with the files they replaced.
 * libvirt would still list the checkpoints, refuse them at the next backup and fail to delete
 * them after every backup from then on; so they are forgotten here (metadata only, as
 * `virsh checkpoint-delete --metadata` does). The next backup then compares blocks with the
 * repository and starts a new chain.
 */
import {
  DOMAIN_LIST_ALL_CHECKPOINTS,
  type CheckpointRef,
} from '../../connectors/libvirt/backup-procedures';
import type { LibvirtConnector } from '../../connectors/libvirt/libvirt-connector';
import {
  invoke,
  STRING_MAX,
  writeDomain,
  type DomainRef,
  type Procedure,
} from '../../connectors/libvirt/procedures';

/** virDomainCheckpointDeleteFlags */
const CHECKPOINT_DELETE_METADATA_ONLY = 2;

/** remote_domain_checkpoint_delete_args with METADATA_ONLY: the bitmaps are not looked for. */
const DOMAIN_CHECKPOINT_DELETE_METADATA: Procedure<{ checkpoint: CheckpointRef }, undefined> = {
  number: 417,
  name: 'DOMAIN_CHECKPOINT_DELETE',
  retryable: false,
  encode: (w, a) => {
    w.string(a.checkpoint.name, STRING_MAX);
    writeDomain(w, a.checkpoint.dom);
    w.uint(CHECKPOINT_DELETE_METADATA_ONLY);
  },
  decode: () => undefined,
};

/** Forgets every checkpoint of the domain; what cannot be forgotten is reported, not thrown. */
export async function forgetCheckpoints(
  connector: LibvirtConnector,
  dom: DomainRef,
  out: { log(line: string): void; warn(line: string): void },
): Promise<void> {
  let checkpoints: CheckpointRef[];
  try {
    checkpoints = await invoke(connector.rpc, DOMAIN_LIST_ALL_CHECKPOINTS, { dom });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    out.warn(`Could not list the checkpoints of ${dom.name} (${message})`);
    return;
  }
  const forgotten: string[] = [];
  for (const checkpoint of checkpoints) {
    try {
      await invoke(connector.rpc, DOMAIN_CHECKPOINT_DELETE_METADATA, { checkpoint });
      forgotten.push(checkpoint.name);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      out.warn(
        `Could not forget checkpoint ${checkpoint.name} of ${dom.name} (${message}): ` +
          `delete it with virsh checkpoint-delete --metadata ${dom.name} ${checkpoint.name}`,
      );
    }
  }
  if (forgotten.length > 0) {
    out.log(
      `Forgot ${forgotten.length} checkpoint(s) of ${dom.name} (${forgotten.join(', ')}): their ` +
        'bitmaps were in the replaced disk files; the next backup compares blocks and starts anew',
    );
  }
}
