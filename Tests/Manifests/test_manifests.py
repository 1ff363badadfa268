"""The manifests in deploy/k8s decode strictly into the Kubernetes API's types, and the
validator really refuses what the API server would: these tests break a valid manifest on
purpose and expect the error that names the field."""
import copy
import glob
import os
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from validate_manifests import ManifestError, validate_file, validate_text  # noqa: E402

DEPLOY = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "k8s")


def documents(name):
    with open(os.path.join(DEPLOY, name), encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def daemonset():
    return next(d for d in documents("daemonset.yaml") if d["kind"] == "DaemonSet")


def text(*docs):
    return yaml.safe_dump_all(docs)


class EveryManifest(unittest.TestCase):
    def test_every_manifest_decodes(self):
        files = sorted(glob.glob(os.path.join(DEPLOY, "*.yaml")))
        self.assertGreaterEqual(len(files), 2)
        kinds = [o.kind for f in files for o in validate_file(f)]
        self.assertIn("DaemonSet", kinds)
        self.assertIn("Job", kinds)


class TheFleetFixturesAreWhatKubectlPrints(unittest.TestCase):
    """Tests/Fixtures/fleet: kubectl get pods/events -o json, decoded strictly as the API's
    Pod and Event (kubectl's List and the API's PodList/EventList forms)."""

    def test_pods_and_events_decode(self):
        fixtures = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "fleet")
        kinds = {}
        for name in ["pods.json", "events.json", "pods-ready.json", "events-ready.json"]:
            objects = validate_file(os.path.join(fixtures, name))
            kinds[name] = {type(o).__name__ for o in objects}
        self.assertEqual(kinds["pods.json"], {"V1Pod"})
        self.assertEqual(kinds["events.json"], {"CoreV1Event"})
        self.assertEqual(kinds["pods-ready.json"], {"V1PodList"})
        self.assertEqual(kinds["events-ready.json"], {"CoreV1EventList"})


class TheValidatorRefuses(unittest.TestCase):
    def refuses(self, doc, message):
        with self.assertRaises(ManifestError) as caught:
            validate_text(text(doc), "t.yaml")
        self.assertIn(message, str(caught.exception))

    def test_an_unknown_field(self):
        doc = daemonset()
        doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
        self.refuses(doc, "t.yaml document 1: DaemonSet.spec.template.spec.containers[0].imagePullPolicyy: unknown field of V1Container")

    def test_a_field_one_level_off(self):
        doc = daemonset()
        # tolerations belong to the pod spec, not the DaemonSet spec
        doc["spec"]["tolerations"] = doc["spec"]["template"]["spec"].pop("tolerations")
        self.refuses(doc, "DaemonSet.spec.tolerations: unknown field of V1DaemonSetSpec")

    def test_a_number_where_a_quantity_string_belongs(self):
        doc = daemonset()
        doc["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = 1
        self.refuses(doc, "containers[0].resources.limits.nvidia.com/gpu: expected a string, found int 1 (quote it)")

    def test_a_missing_required_field(self):
        doc = daemonset()
        del doc["spec"]["template"]["spec"]["containers"][0]["name"]
        with self.assertRaises(ManifestError) as caught:
            validate_text(text(doc), "t.yaml")
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        # current clients (pydantic models) and older ones (property setters) say it differently
        self.assertTrue(message in ("t.yaml document 1: DaemonSet.spec.template.spec.containers[0]: missing required field name",
                                    "t.yaml document 1: DaemonSet.spec.template.spec.containers[0]: Invalid value for `name`, must not be `None`"),
                        message)

    def test_a_list_where_a_mapping_belongs(self):
        doc = daemonset()
        doc["spec"]["template"]["spec"]["nodeSelector"] = ["nvidia.com/gpu.present=true"]
        self.refuses(doc, "DaemonSet.spec.template.spec.nodeSelector: expected a mapping, found list")

    def test_an_unknown_kind(self):
        doc = copy.deepcopy(daemonset())
        doc["apiVersion"] = "extensions/v1beta1"
        self.refuses(doc, "apiVersion 'extensions/v1beta1' kind 'DaemonSet' is not one this validator knows")

    def test_a_repeated_key(self):
        with self.assertRaises(ManifestError) as caught:
            validate_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", "dup.yaml")
        self.assertEqual(str(caught.exception), "dup.yaml: line 5: key 'name' repeated")


class TheDaemonSetDoesWhatTheIssueSays(unittest.TestCase):
    def test_gpu_nodes_read_only_mounts_and_the_node_name(self):
        pod = daemonset()["spec"]["template"]["spec"]
        self.assertEqual(pod["nodeSelector"], {"nvidia.com/gpu.present": "true"})
        self.assertIn({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}, pod["tolerations"])
        container = pod["containers"][0]
        self.assertNotIn("nvidia.com/gpu", container["resources"].get("limits", {}))
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        for path in ["/mnt/models", "/host/proc", "/host/sys", "/host/run/udev"]:
            self.assertTrue(mounts[path].get("readOnly"), path)
        volumes = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
        self.assertEqual(volumes[mounts["/mnt/models"]["name"]], "/mnt/models")
        self.assertEqual(volumes[mounts["/host/run/udev"]["name"]], "/run/udev")
        env = {e["name"]: e for e in container["env"]}
        self.assertEqual(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName")
        script = container["args"][0]
        self.assertIn("sllm-doctor check --profile prebaked --json --mountinfo /host/proc/1/mountinfo "
                      "--sys-block /host/sys/block --udev-data /host/run/udev/data", script)


if __name__ == "__main__":
    unittest.main()
