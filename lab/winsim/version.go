package winsim

import (
	"fmt"
	"strings"
)

// A Version is a Windows Server release. Its zero value is not valid; use one
// of the constants or ParseVersion.
type Version int

// The Windows Server releases the simulator knows. Their builds are the RTM or
// last service pack builds that `ver` prints.
const (
	Win2003 Version = iota + 1
	Win2008
	Win2008R2
	Win2012
	Win2012R2
	Win2016
	Win2019
	Win2022
	Win2025
)

var versionInfo = map[Version]struct {
	key, name, build string
}{
	Win2003:   {"2003", "Windows Server 2003", "5.2.3790"},
	Win2008:   {"2008", "Windows Server 2008", "6.0.6002"},
	Win2008R2: {"2008r2", "Windows Server 2008 R2", "6.1.7601"},
	Win2012:   {"2012", "Windows Server 2012", "6.2.9200"},
	Win2012R2: {"2012r2", "Windows Server 2012 R2", "6.3.9600"},
	Win2016:   {"2016", "Windows Server 2016", "10.0.14393"},
	Win2019:   {"2019", "Windows Server 2019", "10.0.17763"},
	Win2022:   {"2022", "Windows Server 2022", "10.0.20348"},
	Win2025:   {"2025", "Windows Server 2025", "10.0.26100"},
}

// Versions lists every known version, oldest first.
func Versions() []Version {
	return []Version{Win2003, Win2008, Win2008R2, Win2012, Win2012R2, Win2016, Win2019, Win2022, Win2025}
}

// ParseVersion accepts the short keys ("2003", "2008", "2008r2", "2012",
// "2012r2", "2016", "2019", "2022", "2025"), with or without a "Windows
// Server" prefix, spaces or case ("2008 R2" works), and the build numbers.
func ParseVersion(s string) (Version, error) {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.TrimPrefix(k, "windows")
	k = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(k), "server"))
	k = strings.ReplaceAll(k, " ", "")
	for v, info := range versionInfo {
		if k == info.key || k == info.build {
			return v, nil
		}
	}
	return 0, fmt.Errorf("unknown windows version %q (want one of 2003, 2008, 2008r2, 2012, 2012r2, 2016, 2019, 2022, 2025)", s)
}

// Key is the short form ParseVersion accepts, e.g. "2008r2".
func (v Version) Key() string { return versionInfo[v].key }

// String is the product name, e.g. "Windows Server 2008 R2".
func (v Version) String() string {
	if i, ok := versionInfo[v]; ok {
		return i.name
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

// Build is the version string `ver` prints, e.g. "6.1.7601".
func (v Version) Build() string { return versionInfo[v].build }

// Valid reports whether v is one of the known versions.
func (v Version) Valid() bool { _, ok := versionInfo[v]; return ok }

// HasAdvfirewall reports whether `netsh advfirewall` exists (Vista/2008 on).
func (v Version) HasAdvfirewall() bool { return v >= Win2008 }

// preVista reports the XP/2003 family (legacy firewall tables without the
// traffic direction column, SharedAccess service, reg.exe 3.0 output).
func (v Version) preVista() bool { return v == Win2003 }

// deprecationNotice returns the legacy `netsh firewall` notice lines for v, or
// nil when v prints none (2003 and 2008).
func (v Version) deprecationNotice() []string {
	if v <= Win2008 {
		return nil
	}
	scheme := "http"
	if v >= Win2019 {
		scheme = "https"
	}
	return []string{
		`IMPORTANT: Command executed successfully.`,
		`However, "netsh firewall" is deprecated;`,
		`use "netsh advfirewall firewall" instead.`,
		`For more information on using "netsh advfirewall firewall" commands`,
		`instead of "netsh firewall", see KB article 947709`,
		`at ` + scheme + `://go.microsoft.com/fwlink/?linkid=121488 .`,
	}
}

// verboseSecurityLine reports whether `show rule verbose` prints Security:
// (absent on Windows 7 / 2008 R2 and, by extension, 2008).
func (v Version) verboseSecurityLine() bool { return v >= Win2012 }

// x64 reports whether the host is 64-bit. The simulator models 2003 as x86
// and every later release as x64.
func (v Version) x64() bool { return v >= Win2008 }
