package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// k8sObject is the part of a Kubernetes object the checks read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type podSpec struct {
	Containers []struct {
		Command []string `yaml:"command"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			ValueFrom *struct {
				SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		EnvFrom []struct {
			SecretRef struct{ Name string } `yaml:"secretRef"`
		} `yaml:"envFrom"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
	} `yaml:"containers"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func loadManifests(t *testing.T) []k8sObject {
	t.Helper()
	files, _ := filepath.Glob("../../../deploy/k8s/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in deploy/k8s")
	}
	var out []k8sObject
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			out = append(out, o)
		}
	}
	return out
}

// TestKubernetesManifests checks deploy/k8s against the product: every environment variable a
// manifest sets is one config reads and the README documents, the probes are the health
// routes and answer 200, the Job runs the migrate command as the owner role, and the serving
// pods hold only the app role's secret.
func TestKubernetesManifests(t *testing.T) {
	objs := loadManifests(t)
	cfgSrc, _ := os.ReadFile("../../config/config.go")
	readme, _ := os.ReadFile("../../../README.md")
	byKind := map[string][]k8sObject{}
	secrets := map[string]map[string]string{}
	for _, o := range objs {
		byKind[o.Kind] = append(byKind[o.Kind], o)
		if o.Kind == "Secret" {
			secrets[o.Metadata.Name] = o.StringData
		}
	}
	for _, kind := range []string{"Deployment", "Job", "Service", "Secret"} {
		if len(byKind[kind]) == 0 {
			t.Fatalf("no %s in deploy/k8s", kind)
		}
	}
	documented := func(name string) {
		t.Helper()
		if !bytes.Contains(cfgSrc, []byte(`"`+name+`"`)) {
			t.Errorf("%s is set by a manifest but app/config does not read it", name)
		}
		if !regexp.MustCompile("`" + name + "`").Match(readme) {
			t.Errorf("%s is set by a manifest but README.md does not document it", name)
		}
	}
	for _, data := range secrets {
		for k := range data {
			documented(k)
		}
	}
	e := newCLIEnv(t)
	pods := map[string]podSpec{}
	for _, kind := range []string{"Deployment", "Job"} {
		for _, o := range byKind[kind] {
			pods[kind] = o.Spec.Template.Spec
		}
	}
	for kind, pod := range pods {
		for _, c := range pod.Containers {
			for _, v := range c.Env {
				documented(v.Name)
				if v.ValueFrom != nil {
					if _, ok := secrets[v.ValueFrom.SecretKeyRef.Name][v.ValueFrom.SecretKeyRef.Key]; !ok {
						t.Errorf("%s: %s refers to a missing secret key %+v", kind, v.Name, v.ValueFrom.SecretKeyRef)
					}
				}
			}
			for _, ef := range c.EnvFrom {
				if _, ok := secrets[ef.SecretRef.Name]; !ok {
					t.Errorf("%s: envFrom a missing secret %s", kind, ef.SecretRef.Name)
				}
			}
			if len(c.Command) < 2 || c.Command[0] != "crm" {
				t.Fatalf("%s runs %v, not the crm binary", kind, c.Command)
			}
			sub, rest, err := rootCmd().Find(c.Command[1:])
			if err != nil {
				t.Fatalf("%s: %v is not a crm command: %v", kind, c.Command, err)
			}
			if err := sub.ParseFlags(rest); err != nil {
				t.Errorf("%s: %v: %v", kind, c.Command, err)
			}
			switch kind {
			case "Job":
				if sub.Name() != "migrate" {
					t.Errorf("the Job runs %q, not crm migrate", sub.Name())
				}
				if !usesSecretKey(c.Env, "crm-owner", "CRM_MIGRATE_DATABASE_URL") {
					t.Error("the migration Job does not run as the owner role (CRM_MIGRATE_DATABASE_URL from crm-owner)")
				}
			case "Deployment":
				if sub.Name() != "serve" || !slices.Contains(c.Command, "--no-migrate") {
					t.Errorf("the Deployment runs %v, want crm serve --no-migrate (migrations are the Job's)", c.Command)
				}
				for _, ef := range c.EnvFrom {
					if ef.SecretRef.Name == "crm-owner" {
						t.Error("the serving pods hold the owner role's secret")
					}
				}
				for _, v := range c.Env {
					if v.Name == "CRM_MIGRATE_DATABASE_URL" {
						t.Error("the serving pods are given the owner role's URL")
					}
				}
				if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
					t.Fatalf("probes: readiness %+v liveness %+v", c.ReadinessProbe, c.LivenessProbe)
				}
				for _, path := range []string{c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path} {
					if status, body, _ := e.do(t, "GET", path, nil, nil); status != 200 {
						t.Errorf("probe %s answers %d %s", path, status, body)
					}
				}
				portNames := map[string]bool{}
				for _, p := range c.Ports {
					portNames[p.Name] = true
				}
				if !portNames[c.ReadinessProbe.HTTPGet.Port] || !portNames[c.LivenessProbe.HTTPGet.Port] {
					t.Error("a probe names a port the container does not declare")
				}
				if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" {
					t.Error("the Deployment has no resource requests")
				}
				for _, s := range byKind["Service"] {
					for _, p := range s.Spec.Ports {
						if !portNames[p.TargetPort] {
							t.Errorf("the Service targets port %q the container does not declare", p.TargetPort)
						}
					}
				}
			}
		}
	}
	if data := secrets["crm-app"]; data == nil || data["CRM_DATABASE_URL"] == "" || strings.Contains(data["CRM_DATABASE_URL"], "crm_owner") {
		t.Errorf("the app role's secret: %v", data)
	}
}

func usesSecretKey(env []struct {
	Name      string `yaml:"name"`
	ValueFrom *struct {
		SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}, secret, key string) bool {
	for _, v := range env {
		if v.Name == key && v.ValueFrom != nil && v.ValueFrom.SecretKeyRef.Name == secret && v.ValueFrom.SecretKeyRef.Key == key {
			return true
		}
	}
	return false
}
