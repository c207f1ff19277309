package cli

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
)

// ansibleHints tells an Ansible user what to use instead of an Ansible flag
// winfleet does not have. Flags winfleet shares with Ansible (-i, -l, -f,
// -C, -D, -k, -u, -e, -v, --list-hosts) need no hint.
func ansibleHints() map[string]string {
	become := "winfleet needs no become: log on with an account in the host's Administrators group"
	vault := "winfleet does not read Ansible Vault: give passwords with password_env in the inventory, --password-env, --ask-pass or WINFLEET_PASSWORD"
	tags := "winfleet has no tags: write a playbook with the items you want (winfleet playbook show ssis-firewall > my.yaml) and pass it with -p"
	return map[string]string{
		"become": become, "b": become, "become-user": become, "become-method": become,
		"ask-become-pass": become, "K": become,
		"vault-password-file": vault, "ask-vault-pass": vault, "vault-id": vault, "J": vault,
		"tags": tags, "t": tags, "skip-tags": tags, "start-at-task": tags, "step": tags,
		"syntax-check":     "use `winfleet playbook validate FILE`",
		"list-tasks":       "use `winfleet plan`: it prints, per host, the commands apply would send",
		"connection":       "set transport (ansible_winrm_transport) in the inventory",
		"c":                "set transport (ansible_winrm_transport) in the inventory",
		"private-key":      "for certificate authentication set client_cert and client_key in the inventory",
		"module-name":      "winfleet runs its playbook, not ad-hoc modules: use winfleet scan or apply",
		"m":                "winfleet runs its playbook, not ad-hoc modules: use winfleet scan or apply",
		"args":             "winfleet runs its playbook, not ad-hoc modules: use winfleet scan or apply",
		"a":                "winfleet runs its playbook, not ad-hoc modules: use winfleet scan or apply",
		"inventory-file":   "use -i/--inventory",
		"forks-per-host":   "use -f/--forks",
		"flush-cache":      "winfleet keeps no fact cache: every run reads the hosts",
		"force-handlers":   "winfleet has no handlers",
		"list-tags":        tags,
		"ssh-common-args":  "winfleet speaks WinRM, not SSH: set the connection in the inventory",
		"scp-extra-args":   "winfleet speaks WinRM, not SSH: set the connection in the inventory",
		"sftp-extra-args":  "winfleet speaks WinRM, not SSH: set the connection in the inventory",
		"ssh-extra-args":   "winfleet speaks WinRM, not SSH: set the connection in the inventory",
		"timeout-override": "use --timeout (the budget of one host) and --connect-timeout",
	}
}

var unknownFlagRE = regexp.MustCompile(`^unknown (?:shorthand )?flag: (?:--([A-Za-z0-9-]+)|'([A-Za-z])' in -)`)

// flagError adds a hint to an unknown flag that is Ansible's.
func flagError(_ *cobra.Command, err error) error {
	m := unknownFlagRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	name := m[1] + m[2]
	if hint, ok := ansibleHints()[name]; ok {
		return fmt.Errorf("%w (Ansible's flag; %s)", err, hint)
	}
	return err
}
