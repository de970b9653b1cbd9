/**
 * libvirt's remote_error (virNetMessageError) and how it becomes a HyperkeepError. The numeric
 * codes are libvirt's stable virErrorNumber / virErrorDomain ABI (include/libvirt/virterror.h).
 */
import { HyperkeepError } from '../../../../shared/errors';
import type { XdrReader } from './xdr';

/** VIR_NET_MESSAGE_STRING_MAX: libvirt's own bound for strings in error messages. */
const ERROR_STRING_MAX = 4 * 1024 * 1024;
const UUID_LENGTH = 16;

export interface RemoteError {
  code: number;
  domain: number;
  message: string | null;
  level: number;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
}

/** virErrorNumber values we give a meaning of our own. */
const VIR_ERR_NO_CONNECT = 5;
const VIR_ERR_NO_DOMAIN = 42;
const VIR_ERR_NO_NETWORK = 43;
const VIR_ERR_AUTH_FAILED = 45;
const VIR_ERR_NO_STORAGE_POOL = 49;
const VIR_ERR_NO_STORAGE_VOL = 50;
const VIR_ERR_NO_DOMAIN_SNAPSHOT = 72;
const VIR_ERR_AUTH_CANCELLED = 79;
const VIR_ERR_ACCESS_DENIED = 88;
const VIR_ERR_AUTH_UNAVAILABLE = 94;
const VIR_ERR_NO_DOMAIN_CHECKPOINT = 103;
const VIR_ERR_NO_DOMAIN_BACKUP = 104;

export function decodeRemoteError(r: XdrReader): RemoteError {
  const str = (): string | null => r.optional((x) => x.string(ERROR_STRING_MAX, 'error text'));
  const code = r.int();
  const domain = r.int();
  const message = str();
  const level = r.int();
  // dom and net are unused by libvirt but still on the wire: decode and drop them.
  r.optional((x) => {
    x.string(ERROR_STRING_MAX, 'domain name');
    x.fixedOpaque(UUID_LENGTH);
    x.int();
  });
  const str1 = str();
  const str2 = str();
  const str3 = str();
  const int1 = r.int();
  const int2 = r.int();
  r.optional((x) => {
    x.string(ERROR_STRING_MAX, 'network name');
    x.fixedOpaque(UUID_LENGTH);
  });
  return { code, domain, message, level, str1, str2, str3, int1, int2 };
}

const NOT_FOUND_CODES = new Set([
  VIR_ERR_NO_DOMAIN,
  VIR_ERR_NO_NETWORK,
  VIR_ERR_NO_STORAGE_POOL,
  VIR_ERR_NO_STORAGE_VOL,
  VIR_ERR_NO_DOMAIN_SNAPSHOT,
  VIR_ERR_NO_DOMAIN_CHECKPOINT,
  VIR_ERR_NO_DOMAIN_BACKUP,
]);
const AUTH_CODES = new Set([
  VIR_ERR_AUTH_FAILED,
  VIR_ERR_AUTH_CANCELLED,
  VIR_ERR_AUTH_UNAVAILABLE,
  VIR_ERR_ACCESS_DENIED,
]);

/** `procedure` names the call in details so a log says what libvirt refused. */
export function remoteErrorToHyperkeep(err: RemoteError, procedure: string): HyperkeepError {
  const message = err.message ?? `libvirt error ${err.code} with no message`;
  const details = {
    procedure,
    libvirtCode: err.code,
    libvirtDomain: err.domain,
    libvirtMessage: err.message,
  };
  if (NOT_FOUND_CODES.has(err.code) || /no domain with matching (name|uuid)/i.test(message)) {
    return new HyperkeepError('NOT_FOUND', message, details);
  }
  if (AUTH_CODES.has(err.code)) return new HyperkeepError('AUTH_FAILED', message, details);
  if (err.code === VIR_ERR_NO_CONNECT)
    return new HyperkeepError('CONNECT_FAILED', message, details);
  return new HyperkeepError('HYPERVISOR_ERROR', message, details);
}
