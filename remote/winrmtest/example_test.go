package winrmtest_test

import (
	"context"
	"fmt"
	"io"

	"github.com/masterzen/winrm"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func Example() {
	srv := winrmtest.NewServer(winrmtest.HandlerFunc(func(ctx context.Context, c *winrmtest.Command) int {
		io.WriteString(c.Stdout, "hello from "+c.Line+"\r\n")
		return 3
	}))
	defer srv.Close()

	ep := winrm.NewEndpoint(srv.Host(), srv.Port(), false, false, nil, nil, nil, 0) // 60 s header timeout
	client, err := winrm.NewClient(ep, winrmtest.DefaultUser, winrmtest.DefaultPassword)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _, code, err := client.RunCmdWithContext(context.Background(), "hostname")
	fmt.Printf("%q %d %v\n", out, code, err)
	fmt.Println(srv.Ops())
	// Output:
	// "hello from hostname\r\n" 3 <nil>
	// [Create Command Receive Signal Delete]
}
