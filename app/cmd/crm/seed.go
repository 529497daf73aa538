package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/auth"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// seedOptions are the flags of crm seed.
type seedOptions struct {
	Tenants   int
	Customers int
	Big       int
	Database  string
	Workers   int
	Password  string
	Seed      uint64
	Profile   string
}

func seedCmd() *cobra.Command {
	var o seedOptions
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill the database with realistic tenants, users and customers (for benchmarks)",
		Long: `Seed signs up --tenants companies (default departments, roles and grants, an owner and a
few sales staff each) and gives them --customers customers in all, --big of them to one big
tenant: Chinese company names, phones, addresses, regions, tiers, stages and owners, sealed
with the server's field-encryption key (CRM_SECRET_KEY or CRM_ENCRYPTION_KEYS, as crm serve
uses them). Customers are written with multi-row inserts in each tenant's own transaction, so
tenant scoping and row-level security apply as for the application; they get no audit history
or events (they stand for an archive that was already there). Every generated user has the
--password. The database is migrated first and analyzed at the end.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSeed(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Tenants, "tenants", 1000, "number of tenants")
	f.IntVar(&o.Customers, "customers", 1_000_000, "number of customers in all tenants together")
	f.IntVar(&o.Big, "big", 100_000, "customers of the one big tenant (part of --customers)")
	f.StringVar(&o.Database, "database", "", "database URL (default: CRM_DATABASE_URL)")
	f.IntVar(&o.Workers, "workers", 0, "tenants written at once (default: 1 on SQLite, 4 on PostgreSQL)")
	f.StringVar(&o.Password, "password", "seed password 1", "password of every generated user")
	f.Uint64Var(&o.Seed, "seed", 0, "random seed, for repeatable data (default: random)")
	f.StringVar(&o.Profile, "cpuprofile", "", "write a CPU profile of the seeding to this file")
	return cmd
}

// seeder holds what every tenant's seeding shares.
type seeder struct {
	srv       *server.Server
	db        *store.DB
	run       string
	password  string
	perInsert int
	seed      uint64
	// progress
	tenantsDone, usersDone, customersDone atomic.Int64
}

func runSeed(ctx context.Context, out io.Writer, o seedOptions) error {
	if o.Tenants < 1 || o.Customers < 0 || o.Big < 0 || o.Big > o.Customers {
		return fmt.Errorf("seed: need --tenants >= 1 and 0 <= --big <= --customers")
	}
	if o.Tenants == 1 {
		o.Big = o.Customers
	}
	cfg := config.FromEnv()
	if o.Database != "" {
		if cfg.MigrateDatabaseURL == cfg.DatabaseURL {
			cfg.MigrateDatabaseURL = o.Database
		}
		cfg.DatabaseURL = o.Database
	}
	log := cfg.Logger()
	if err := cfg.EnsureSecretKey(log); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := openApp(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer db.Close()
	// The server's own services: the same signup, org and field keys as crm serve.
	srv, err := server.New(cfg, db, quiet, server.Options{})
	if err != nil {
		return err
	}
	// One argon2 hash for all generated users: hashing is deliberately slow.
	hash, err := auth.HashPassword(o.Password)
	if err != nil {
		return err
	}
	srv.Org.HashPassword = func(string) (string, error) { return hash, nil }
	if o.Workers <= 0 {
		o.Workers = 1
		if db.Dialect == store.Postgres {
			o.Workers = 4
		}
	}
	s := &seeder{srv: srv, db: db, run: randomHex(3), password: o.Password, seed: o.Seed}
	if s.seed == 0 {
		s.seed = mrand.Uint64()
	}
	// Rows per INSERT: SQLite's driver binds values in time quadratic in their number per
	// statement (see customer.rowsPerInsert); PostgreSQL takes up to 65,535.
	s.perInsert = 680
	if db.Dialect == store.SQLite {
		s.perInsert = 14
	}

	if o.Profile != "" {
		f, err := os.Create(o.Profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sizes := tenantSizes(o, mrand.New(mrand.NewPCG(s.seed, 1)))
	fmt.Fprintf(out, "seeding %d tenants with %d customers (%d in the big one) into %s, %d at once\n",
		o.Tenants, o.Customers, sizes[0], db.Dialect, o.Workers)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n := s.customersDone.Load()
				fmt.Fprintf(out, "  %6.1fs  tenants %d/%d  customers %d/%d  (%.0f/s)\n", time.Since(start).Seconds(),
					s.tenantsDone.Load(), o.Tenants, n, o.Customers, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	// The big tenant first, so that it does not finish alone at the end.
	work := make(chan int)
	var wg sync.WaitGroup
	var firstErr error
	var once sync.Once
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bigSlug string
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				slug, err := s.tenant(cctx, i, sizes[i])
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("tenant %d: %w", i, err); cancel() })
					return
				}
				if i == 0 {
					bigSlug = slug
				}
				s.tenantsDone.Add(1)
			}
		}()
	}
feed:
	for i := range sizes {
		select {
		case work <- i:
		case <-cctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(done)
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(out, "seeded %d tenants, %d users, %d customers in %s (%.0f customers/s)\n",
		s.tenantsDone.Load(), s.usersDone.Load(), s.customersDone.Load(), took.Round(time.Millisecond),
		float64(s.customersDone.Load())/took.Seconds())
	// Fresh statistics, so that the planner knows the tables' new sizes before benchmarks
	// run. ANALYZE needs the tables' owner on PostgreSQL: the migration role.
	astart := time.Now()
	if err := analyze(ctx, cfg.MigrateDatabaseURL); err != nil {
		fmt.Fprintf(out, "analyze skipped: %v\n", err)
	} else {
		fmt.Fprintf(out, "analyzed in %s\n", time.Since(astart).Round(time.Millisecond))
	}
	fmt.Fprintf(out, "sign in to the big tenant: tenant %q, email owner@%s.example.com, password %q\n", bigSlug, bigSlug, s.password)
	return nil
}

func analyze(ctx context.Context, url string) error {
	db, err := store.Open(ctx, url, store.Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.SQL().ExecContext(ctx, "ANALYZE")
	return err
}

// tenantSizes splits the customers: sizes[0] is the big tenant, the rest share the others
// unevenly (each between half and one and a half times the mean), adding up exactly.
func tenantSizes(o seedOptions, r *mrand.Rand) []int {
	sizes := make([]int, o.Tenants)
	sizes[0] = o.Big
	rest := o.Customers - o.Big
	if o.Tenants == 1 {
		sizes[0] = o.Customers
		return sizes
	}
	weights := make([]float64, o.Tenants-1)
	sum := 0.0
	for i := range weights {
		weights[i] = 0.5 + r.Float64()
		sum += weights[i]
	}
	given := 0
	for i, w := range weights {
		n := int(float64(rest) * w / sum)
		sizes[i+1] = n
		given += n
	}
	for i := 0; given < rest; i = (i + 1) % len(weights) {
		sizes[i+1]++
		given++
	}
	return sizes
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// staff is a generated user customers can be owned by.
type staff struct {
	id   uuid.UUID
	dept uuid.UUID
}

// tenant signs up tenant i, adds its staff and writes its customers; it returns the slug.
func (s *seeder) tenant(ctx context.Context, i, customers int) (string, error) {
	r := mrand.New(mrand.NewPCG(s.seed, uint64(i)+2))
	g := &gen{r: r}
	slug := fmt.Sprintf("seed-%s-%d", s.run, i)
	company := g.companyName()
	t, owner, err := s.srv.Tenants.Signup(ctx, tenants.SignupInput{CompanyName: company, Slug: slug,
		OwnerName: g.personName(), Email: "owner@" + slug + ".example.com", Password: s.password, Locale: "zh-CN"})
	if err != nil {
		return "", err
	}
	tctx := tenantctx.WithActor(tenantctx.WithTenant(ctx, t.ID), tenantctx.Actor{UserID: owner.ID, Via: "cli"})
	// Staff: salespeople in the sales department under a sales manager, and customer service.
	var team []staff
	err = s.db.Tx(tctx, func(tx *gorm.DB) error {
		var depts []org.Department
		if err := tx.Order("created_at, id").Find(&depts).Error; err != nil {
			return err
		}
		byName := map[string]uuid.UUID{}
		for _, d := range depts {
			byName[d.Name] = d.ID
		}
		sales, service := byName["销售部"], byName["客服部"]
		add := func(n int, role string, dept uuid.UUID, manager *uuid.UUID) (uuid.UUID, error) {
			d := dept
			u, err := s.srv.Org.CreateUserTx(tctx, tx, org.NewUser{Email: fmt.Sprintf("%s%d@%s.example.com", strings.ReplaceAll(role, "_", ""), n, slug),
				Name: g.personName(), Password: s.password, DepartmentID: &d, ManagerID: manager, Roles: []string{role}, Locale: "zh-CN"})
			if err != nil {
				return uuid.Nil, err
			}
			s.usersDone.Add(1)
			return u.ID, nil
		}
		mgr, err := add(1, "sales_manager", sales, nil)
		if err != nil {
			return err
		}
		team = append(team, staff{mgr, sales})
		for n := 1; n <= min(2+customers/3000, 30); n++ {
			id, err := add(n, "salesperson", sales, &mgr)
			if err != nil {
				return err
			}
			team = append(team, staff{id, sales})
		}
		id, err := add(1, "customer_service", service, nil)
		if err != nil {
			return err
		}
		team = append(team, staff{id, service})
		return nil
	})
	if err != nil {
		return "", err
	}
	s.usersDone.Add(1) // the owner
	// Customers, created over the last three years in order: UUIDv7 IDs carry that time, as
	// the application's would, and rise through the primary key.
	from := time.Now().UTC().AddDate(-3, 0, 0)
	step := time.Duration(0)
	if customers > 0 {
		step = time.Since(from) / time.Duration(customers)
	}
	at := from
	// Generating and sealing the next batch overlaps with writing this one.
	const perTx = 2000
	batches := make(chan []customer.Customer, 1)
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	var genErr error
	go func() {
		defer close(batches)
		for done := 0; done < customers; done += perTx {
			batch := make([]customer.Customer, min(perTx, customers-done))
			for k := range batch {
				at = at.Add(time.Duration(r.Int64N(int64(step)*2 + 1)))
				if now := time.Now().UTC(); at.After(now) {
					at = now
				}
				if genErr = g.customer(s.srv.Customers, &batch[k], t.ID, at, team); genErr != nil {
					return
				}
			}
			select {
			case batches <- batch:
			case <-gctx.Done():
				return
			}
		}
	}()
	for batch := range batches {
		err := s.db.Tx(tctx, func(tx *gorm.DB) error {
			if s.db.Dialect == store.SQLite {
				// A page cache for a database of gigabytes (SQLite's default is 2 MB), on this
				// command's own connections.
				if err := tx.Exec("PRAGMA cache_size = -262144").Error; err != nil {
					return err
				}
			}
			return tx.CreateInBatches(batch, s.perInsert).Error
		})
		if err != nil {
			return "", err
		}
		s.customersDone.Add(int64(len(batch)))
	}
	if genErr != nil {
		return "", genErr
	}
	return slug, nil
}

// gen makes realistic Chinese CRM data.
type gen struct{ r *mrand.Rand }

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

var (
	seedPlaces = []struct{ province, city, region, area string }{
		{"广东", "深圳", "华南", "0755"}, {"广东", "广州", "华南", "020"}, {"广东", "东莞", "华南", "0769"},
		{"广东", "佛山", "华南", "0757"}, {"北京", "北京", "华北", "010"}, {"天津", "天津", "华北", "022"},
		{"河北", "石家庄", "华北", "0311"}, {"上海", "上海", "华东", "021"}, {"浙江", "杭州", "华东", "0571"},
		{"浙江", "宁波", "华东", "0574"}, {"浙江", "温州", "华东", "0577"}, {"江苏", "南京", "华东", "025"},
		{"江苏", "苏州", "华东", "0512"}, {"江苏", "无锡", "华东", "0510"}, {"山东", "青岛", "华东", "0532"},
		{"山东", "济南", "华东", "0531"}, {"福建", "厦门", "华东", "0592"}, {"福建", "福州", "华东", "0591"},
		{"四川", "成都", "西南", "028"}, {"重庆", "重庆", "西南", "023"}, {"云南", "昆明", "西南", "0871"},
		{"湖北", "武汉", "华中", "027"}, {"湖南", "长沙", "华中", "0731"}, {"河南", "郑州", "华中", "0371"},
		{"陕西", "西安", "西北", "029"}, {"甘肃", "兰州", "西北", "0931"}, {"辽宁", "沈阳", "东北", "024"},
		{"辽宁", "大连", "东北", "0411"}, {"吉林", "长春", "东北", "0431"}, {"黑龙江", "哈尔滨", "东北", "0451"},
		{"安徽", "合肥", "华东", "0551"}, {"江西", "南昌", "华东", "0791"}, {"广西", "南宁", "华南", "0771"},
		{"海南", "海口", "华南", "0898"},
	}
	seedWords = []string{"华强", "东方", "长城", "金桥", "宏达", "新世纪", "恒通", "鑫源", "瑞丰", "天成", "盛世",
		"中联", "博远", "海川", "嘉禾", "永泰", "众诚", "国泰", "华信", "明辉", "凯瑞", "精工", "远航", "汇通", "德力",
		"宝丰", "新华", "南方", "北方", "力拓", "卓越", "诚信", "飞达", "星辰", "万通", "泰和", "金鼎", "润达", "天宇",
		"华美", "宏图", "正大", "联创", "安达", "顺发", "聚源", "创新", "鼎盛", "东升", "利民", "兴业", "佳华", "信达",
		"合力", "百川", "中科", "龙腾", "锦程", "同舟", "和信", "康达", "启明", "华中", "绿源", "益丰", "嘉信", "鸿运"}
	seedIndustries = []struct{ word, industry string }{
		{"电子", "电子制造"}, {"科技", "信息技术"}, {"贸易", "批发零售"}, {"机械", "机械设备"}, {"汽车配件", "汽车零部件"},
		{"物流", "交通物流"}, {"建材", "建筑材料"}, {"食品", "食品饮料"}, {"服装", "纺织服装"}, {"医疗器械", "医疗健康"},
		{"化工", "化学化工"}, {"软件", "信息技术"}, {"网络", "信息技术"}, {"家具", "家居建材"}, {"印刷", "包装印刷"},
		{"包装", "包装印刷"}, {"环保", "节能环保"}, {"新能源", "能源电力"}, {"电气", "电气设备"}, {"五金", "五金工具"},
		{"塑胶", "橡胶塑料"}, {"餐饮管理", "餐饮酒店"}, {"教育咨询", "教育培训"}, {"广告", "文化传媒"},
		{"农业", "农林牧渔"}, {"实业", "综合"}, {"商贸", "批发零售"}, {"工程", "建筑工程"}, {"光电", "电子制造"},
		{"精密仪器", "仪器仪表"}}
	seedSuffixes = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "商行", "厂"}
	seedSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
		"郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"}
	seedGiven = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
		"明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "文博", "子豪", "欣怡", "思远"}
	seedRoads = []string{"人民", "解放", "建设", "中山", "深南", "滨河", "科技", "工业", "新华", "长江", "黄河", "和平",
		"文化", "发展", "创业", "东风", "朝阳", "光明", "幸福", "迎宾"}
	seedDistricts = []string{"高新区", "开发区", "城区", "新区", "经开区", "工业园区"}
	seedTags      = []string{"重点跟进", "老客户", "展会获客", "转介绍", "价格敏感", "大客户", "长期合作", "待回访", "VIP", "新客户", "招投标", "海外业务"}
	seedSources   = customer.Sources
	creditChars   = "0123456789ABCDEFGHJKLMNPQRTUWXY"
)

func (g *gen) companyName() string {
	p := seedPlaces[g.r.IntN(len(seedPlaces))]
	w := g.pick(seedWords)
	if g.r.IntN(4) == 0 {
		w += g.pick(seedWords)
	}
	return p.city + w + seedIndustries[g.r.IntN(len(seedIndustries))].word + g.pick(seedSuffixes)
}

func (g *gen) personName() string { return g.pick(seedSurnames) + g.pick(seedGiven) }

// weighted picks an index by weights.
func (g *gen) weighted(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// customer fills c with a generated customer of tenant created at the given time, sealed
// with the server's keys.
func (g *gen) customer(svc *customer.Service, c *customer.Customer, tenant uuid.UUID, at time.Time, team []staff) error {
	r := g.r
	p := seedPlaces[r.IntN(len(seedPlaces))]
	ind := seedIndustries[r.IntN(len(seedIndustries))]
	*c = customer.Customer{TenantID: tenant, ID: uuidV7At(at, r), Type: customer.TypeEnterprise,
		Province: p.province, City: p.city, District: p.city + g.pick(seedDistricts), Region: p.region,
		Source: g.pick(seedSources), CreatedAt: at, UpdatedAt: at, Version: 1}
	if r.IntN(10) == 0 {
		c.Type, c.Name = customer.TypeIndividual, g.personName()
	} else {
		w := g.pick(seedWords)
		if r.IntN(3) == 0 {
			w += g.pick(seedWords)
		}
		c.Name = p.city + w + ind.word + g.pick(seedSuffixes)
		c.Industry = ind.industry
		if r.IntN(5) > 0 {
			c.ShortName = w + ind.word
		}
		b := make([]byte, 18)
		copy(b, "91"+p.area)
		for i := len("91" + p.area); i < 18; i++ {
			b[i] = creditChars[r.IntN(len(creditChars))]
		}
		if r.IntN(3) > 0 {
			c.CreditCode = string(b)
		}
		emp := int(5 * (1 + r.ExpFloat64()*40))
		c.Employees = &emp
		c.AnnualRevenue = decimal.NewNullDecimal(decimal.NewFromInt(int64(emp) * int64(80_000+r.IntN(400_000))))
		c.LegalRepresentative = g.personName()
		c.BusinessScope = ind.industry + "产品的研发、生产与销售；技术咨询与服务"
	}
	c.Stage = []string{customer.StagePotential, customer.StageProspect, customer.StageDeal, customer.StageChurned}[g.weighted(40, 30, 25, 5)]
	c.Tier = []string{customer.TierKey, customer.TierGeneral, customer.TierPotential}[g.weighted(10, 50, 40)]
	if c.Stage == customer.StageProspect || r.IntN(4) == 0 {
		ic := []string{"A", "B", "C"}[g.weighted(20, 40, 40)]
		c.IntentClass = &ic
	}
	c.Classification = datatypes.NewJSONType(customer.Classification{Rule: "seed", Reasons: []string{}, At: at})
	if c.Stage == customer.StageChurned {
		ch := at.Add(time.Duration(r.Int64N(int64(180 * 24 * time.Hour))))
		c.ChurnedAt, c.ChurnReason = &ch, g.pick([]string{"价格原因", "转向竞争对手", "需求变化", "服务不满意", "公司停业"})
	}
	tags := []string{}
	for n := r.IntN(4); n > 0; n-- {
		tags = append(tags, g.pick(seedTags))
	}
	c.Tags = datatypes.NewJSONType(uniqueStrings(tags))
	c.CustomFields = datatypes.NewJSONType(map[string]any{})
	c.Profile = datatypes.NewJSONType(customer.Profile{})
	if r.IntN(30) == 0 {
		c.InPool = true
		pe := at.Add(90 * 24 * time.Hour)
		c.PoolEnteredAt = &pe
	} else {
		o := team[r.IntN(len(team))]
		c.OwnerID, c.DepartmentID = &o.id, &o.dept
	}
	if r.IntN(3) > 0 {
		lf := at.Add(time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		c.LastFollowUpAt = &lf
	}
	if r.IntN(5) < 2 {
		c.Email = fmt.Sprintf("%s%d@company%d.example.cn", g.pick([]string{"sales", "info", "contact", "service", "purchase"}), r.IntN(100), r.IntN(1_000_000))
	}
	var phone string
	if r.IntN(5) == 0 {
		phone = fmt.Sprintf("%s-%d", p.area, 60000000+r.IntN(30000000))
	} else {
		phone = fmt.Sprintf("1%d%09d", []int{3, 5, 7, 8, 9}[r.IntN(5)], r.IntN(1_000_000_000))
	}
	street := fmt.Sprintf("%s%s路%d号", c.District, g.pick(seedRoads), 1+r.IntN(999))
	idNumber := ""
	if c.Type == customer.TypeIndividual {
		idNumber = fmt.Sprintf("%s%04d%02d%02d%03d%d", "440305", 1960+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28), r.IntN(1000), r.IntN(10))
	}
	return svc.Seal(c, street, phone, idNumber)
}

func uniqueStrings(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// uuidV7At is a UUIDv7 whose time is t, as uuid.NewV7 would have made it then.
func uuidV7At(t time.Time, r *mrand.Rand) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	binary.BigEndian.PutUint64(u[8:], r.Uint64())
	binary.BigEndian.PutUint16(u[6:], uint16(r.Uint32()))
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70 | (u[6] & 0x0f)
	u[8] = 0x80 | (u[8] & 0x3f)
	return u
}
