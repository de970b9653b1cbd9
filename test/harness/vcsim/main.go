// A vSphere API simulator for Hyperkeep's integration tests: govmomi's simulator package with a
// vCenter (-model vpx) or standalone ESX (-model esx) inventory, served over TLS on loopback with
// a self-signed certificate. It prints one JSON line with its URL and certificate, then serves
// until it receives SIGTERM or SIGINT, or its standard input closes (the test process died).
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	model := flag.String("model", "vpx", "inventory: vpx (vCenter) or esx (standalone host)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	username := flag.String("username", "hkadmin", "the only accepted user name")
	password := flag.String("password", "hkpass", "the only accepted password")
	flag.Parse()

	m := simulator.VPX()
	if *model == "esx" {
		m = simulator.ESX()
	}
	m.Autostart = false // VMs start powered off, as a real inventory after import would
	if err := m.Create(); err != nil {
		log.Fatalf("creating the %s inventory: %v", *model, err)
	}
	defer m.Remove()

	m.Service.TLS = new(tls.Config)
	m.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	server := m.Service.NewServer()
	defer server.Close()

	der := server.Certificate().Raw
	sum := sha256.Sum256(der)
	ready, _ := json.Marshal(map[string]interface{}{
		"url":         "https://" + server.URL.Host + "/sdk",
		"fingerprint": fmt.Sprintf("%X", sum[:]),
		"pid":         os.Getpid(),
	})
	fmt.Println(string(ready))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop <- syscall.SIGTERM
	}()
	<-stop
}
