package cli

import (
	"context"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

func runBatchView(ctx context.Context, a *App, b *steps.Batch) []steps.BatchResult { return b.Run(ctx) }
