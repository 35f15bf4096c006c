package services

import (
	"net"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/netspec"
)

// banner accepts TCP connections, writes one line and closes them: enough to prove that a data
// service endpoint (Postgres, Redis, Kafka) is reachable, without pretending to speak its
// protocol.
type banner struct {
	cfg netspec.Service
	ls  []net.Listener
	wg  sync.WaitGroup
}

func startBanner(cfg netspec.Service, env Env) (Service, error) {
	ls, err := listenAll(env, cfg.Listen)
	if err != nil {
		return nil, err
	}
	b := &banner{cfg: cfg, ls: ls}
	line := cfg.Banner
	if line == "" {
		line = cfg.Name
	}
	for _, l := range ls {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					c.SetWriteDeadline(time.Now().Add(5 * time.Second))
					c.Write([]byte(line + "\r\n"))
				}()
			}
		}()
	}
	return b, nil
}

func (b *banner) Update(cfg netspec.Service) bool {
	return sameListen(b.cfg.Listen, cfg.Listen) && b.cfg.Banner == cfg.Banner
}

func (b *banner) Close() error {
	for _, l := range b.ls {
		l.Close()
	}
	b.wg.Wait()
	return nil
}
