//go:build tools

package goplugin

// go-plugin's basic example, which the tests build unchanged, needs its packages' modules
// in go.sum.
import _ "github.com/hashicorp/go-plugin/examples/basic/shared"
