module hyperkeep.test/vcsim

go 1.19

require (
	github.com/google/uuid v1.0.0
	github.com/vmware/govmomi v0.24.2
)

// Built offline from Debian's golang-github-vmware-govmomi-dev sources (see ENVIRONMENT.md).
replace github.com/vmware/govmomi => /usr/share/gocode/src/github.com/vmware/govmomi

replace github.com/google/uuid => /usr/share/gocode/src/github.com/google/uuid
