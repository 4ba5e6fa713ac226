package ssh_test

import (
	"testing"

	"github.com/execkit/execkit"
	"github.com/execkit/execkit/transport"
	"github.com/execkit/execkit/transport/ssh"
	"github.com/execkit/execkit/transport/transporttest"
)

var (
	_ transport.Transport = (*ssh.Transport)(nil)
	_ execkit.Labeler     = (*ssh.Transport)(nil)
)

func TestConformance(t *testing.T) {
	e := newEnv(t, nil)
	transporttest.Run(t, func(t *testing.T) transport.Transport {
		return e.dial(t, e.cfg(), e.op)
	})
}
