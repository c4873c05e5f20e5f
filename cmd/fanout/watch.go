package main

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchQuiet is how long the config file must stay untouched after a
// change before it is read: an editor or a ConfigMap update writes it in
// several steps.
const watchQuiet = 300 * time.Millisecond

// watchFile reports changes of the file at path on the returned channel
// (one value per burst of changes); stop ends the watch. It watches the
// file's directory, so a file replaced by a rename (atomic writes,
// Kubernetes ConfigMap symlink swaps) is seen too. Without a path it
// returns a nil channel, which never fires.
func watchFile(path string, log *slog.Logger) (changed <-chan struct{}, stop func(), err error) {
	if path == "" {
		return nil, func() {}, nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, nil, err
	}
	dir, name := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, nil, err
	}
	out := make(chan struct{}, 1)
	go func() {
		quiet := time.NewTimer(time.Hour)
		quiet.Stop()
		for {
			select {
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				// ..data is the symlink Kubernetes swaps under a ConfigMap.
				if b := filepath.Base(ev.Name); b == name || b == "..data" {
					quiet.Reset(watchQuiet)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				log.Warn("config file watch", "err", err)
			case <-quiet.C:
				select {
				case out <- struct{}{}:
				default: // a reload is already due
				}
			}
		}
	}()
	return out, func() { w.Close() }, nil
}
