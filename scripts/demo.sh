#!/usr/bin/env bash
# make demo: the lab hypervisors with their sample VMs, registered in a demo data home, and the
# console served on loopback (in Electron when its binary is installed, otherwise in the browser).
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node
cli=(node_modules/.bin/node bin/hyperkeep.js)
export HYPERKEEP_HOME="${HYPERKEEP_HOME:-$PWD/.demo-home}"
# Restored files and images land next to the demo's home, not in the user's home folder.
export HYPERKEEP_RESTORE_DIR="${HYPERKEEP_RESTORE_DIR:-$PWD/.demo-restores}"

npx --no-install tsx test/harness/lab-cli.ts start
lab_hosts=$(npx --no-install tsx test/harness/lab-cli.ts start --json |
  $node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for (const h of JSON.parse(s).hosts) console.log(h.name+"|"+h.uri)})')

# Register each lab host once (re-running the demo keeps the home).
for row in $lab_hosts; do
  name="${row%%|*}"; uri="${row#*|}"
  if ! "${cli[@]}" hypervisor list --json | grep -q "\"name\": \"$name\""; then
    "${cli[@]}" hypervisor add --name "$name" --uri "$uri"
  fi
done
"${cli[@]}" vm list || true

electron=node_modules/electron/dist/electron
if [ -x "$electron" ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "Starting the desktop console (Electron)…"
  exec npx --no-install electron-vite preview
fi

cat <<TXT

The lab is running (stop it with: make lab-stop). The console starts below: open the address
it prints ("Hyperkeep console: http://127.0.0.1:…") in a browser on this machine.
What to click:
  1. Dashboard: the getting-started checklist leads through the first steps.
  2. Virtual machines: the lab's VMs on lab-host-1 and lab-host-2, live from libvirt.
     Filter, sort, click a VM for its disks, NICs and metadata.
  3. Hypervisors: Add hypervisor → type a URI → Test connection → Save.
  4. Storage: Create repository (a folder and a passphrase).
  5. Backup sets: New backup set over both lab hosts → Subclients → Add subclient with a rule
     (e.g. name ^lab-web) → Virtual Machine Configuration → Discover → Back up now.
  6. Jobs: the backup live, per VM, with rate and ETA; a VM's details list its restore points.
  7. Restore: pick lab-web-01 → Browse options (latest, or a time in your time zone) → open
     vda1/home/alice, tick files → Restore (remove 1 level; the destination is prefilled under
     $HYPERKEEP_RESTORE_DIR) — or restore the whole VM to lab-host-2 under a new name, a
     volume as VHDX, a disk as qcow2.
  8. Settings → Job notifications: a webhook told when jobs fail; Storage → a repository's
     More actions → Verification schedule: the repository checks itself weekly.
  9. The CLI sees the same engine when it uses the demo's data home. In another terminal here:
       export HYPERKEEP_HOME=$HYPERKEEP_HOME
       npx hyperkeep ls --vm lab-web-01 /vda1/home/alice
       npx hyperkeep find --vm lab-web-01 '*.txt' --all-points --json
       npx hyperkeep discover --backupset NAME
Press Ctrl+C to stop the console.
TXT
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
  ( sleep 2; url=$($node -e 'console.log(require(process.argv[1]).url)' "$HYPERKEEP_HOME/server.json" 2>/dev/null) && xdg-open "$url/?token=$($node -e 'console.log(require(process.argv[1]).token)' "$HYPERKEEP_HOME/server.json")" >/dev/null 2>&1 ) &
fi
exec "${cli[@]}" serve
