/**
 * The libvirt-qemu program (libvirt's src/remote/qemu_protocol.x), served on the same connection
 * as the main remote program: it carries QEMU guest agent JSON commands to a running domain.
 */
import { STRING_MAX, writeDomain, type DomainRef, type Procedure } from './procedures';

/** QEMU_PROGRAM in qemu_protocol.x; its version is 1 like every libvirt program. */
export const QEMU_PROGRAM = 0x20008087;

/** virDomainQemuAgentCommandTimeoutValues: wait as long as the agent takes. */
export const AGENT_TIMEOUT_BLOCK = -2;

/**
 * QEMU_PROC_DOMAIN_AGENT_COMMAND = 3: args {domain, cmd, timeout (seconds), flags}, ret
 * {result: remote_string}, the agent's JSON reply (`{"return": …}`), or null.
 */
export const QEMU_DOMAIN_AGENT_COMMAND: Procedure<
  { dom: DomainRef; cmd: string; timeoutSeconds: number },
  string | null
> = {
  number: 3,
  name: 'QEMU_DOMAIN_AGENT_COMMAND',
  program: QEMU_PROGRAM,
  // Not replayed after a lost connection: guest-file-write or guest-exec must not run twice.
  retryable: false,
  encode: (w, a) => {
    writeDomain(w, a.dom);
    w.string(a.cmd, STRING_MAX).int(a.timeoutSeconds).uint(0);
  },
  decode: (r) => r.optional((x) => x.string(STRING_MAX, 'agent reply')),
};
