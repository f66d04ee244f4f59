package cli

import (
	"context"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/batchview"
)

// runBatchView runs the batch under the live table (stdout is a terminal).
func runBatchView(ctx context.Context, a *App, b *steps.Batch) []steps.BatchResult {
	return batchview.Run(ctx, b, a.Stdin, a.Stdout)
}
