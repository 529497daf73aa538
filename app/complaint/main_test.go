package complaint_test

import (
	"testing"

	"github.com/smecrm/crm/app/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
