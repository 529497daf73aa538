package webhook_test

import (
	"context"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/jobs"
)

func tenantCtx(tenant uuid.UUID) context.Context {
	return jobs.TenantContext(context.Background(), tenant, uuid.Nil)
}
