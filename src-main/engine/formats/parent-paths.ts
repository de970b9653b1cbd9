/**
 * Where to look for a parent disk recorded by Windows tools (VHD, VHDX parent locators). Chains
 * made on Hyper-V are usually copied elsewhere as a directory, so the relative path is tried
 * first, then absolute paths that make sense here, then the bare file name next to the child.
 */
export function parentCandidates(relative: string[], absolute: string[]): string[] {
  const out: string[] = [];
  const add = (p: string): void => {
    if (p !== '' && !out.includes(p)) out.push(p);
  };
  for (const r of relative) add(toPosix(r));
  for (const a of absolute) {
    const p = toPosix(a);
    if (p.startsWith('/')) add(p);
  }
  for (const p of [...relative, ...absolute]) add(baseName(toPosix(p)));
  return out;
}

function toPosix(path: string): string {
  // "C:\VMs\base.vhd" keeps its drive letter (and will not exist here); ".\base.vhd" becomes "./base.vhd".
  return path.replace(/\\/g, '/');
}

function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}
