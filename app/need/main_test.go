package need_test

import (
	"testing"

	"github.com/smecrm/crm/app/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
