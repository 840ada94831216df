package providerapi

import (
	"fmt"

	"github.com/checkpoint-relay/checkpoint-relay/internal/checkpoint"
)

// New returns the client of api configured by cfg.
func New(api checkpoint.API, cfg Config) (Client, error) {
	switch api {
	case checkpoint.APIPostpress:
		return NewPostpress(cfg)
	case checkpoint.APILinkup:
		return NewLinkup(cfg)
	case checkpoint.APIEdges:
		return NewEdges(cfg)
	}
	return nil, fmt.Errorf("unknown api %q: want one of postpress, linkup, edges", api)
}
