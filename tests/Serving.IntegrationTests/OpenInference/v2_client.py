"""An Open Inference Protocol (v2) client in Python, from stubs generated from Serving's
grpc_predict_v2.proto: the cross-language check of the protocol. Reads a request description
(JSON: model, id, inputs with name, datatype and data) from argv[3], calls the server at argv[1]
with the stubs in argv[2] (typed contents, then raw contents as Triton's clients send), and prints
what it got as JSON."""
import json
import struct
import sys

sys.path.insert(0, sys.argv[2])
import grpc  # noqa: E402
from inference import grpc_predict_v2_pb2 as pb  # noqa: E402
from inference import grpc_predict_v2_pb2_grpc as pb_grpc  # noqa: E402


def request(spec, raw):
    req = pb.ModelInferRequest(model_name=spec["model"], id=spec["id"])
    for tensor in spec["inputs"]:
        data = tensor["data"]
        item = req.inputs.add(name=tensor["name"], datatype=tensor["datatype"], shape=[len(data)])
        if tensor["datatype"] == "BYTES":
            values = [v.encode("utf-8") for v in data]
            if raw:
                req.raw_input_contents.append(b"".join(struct.pack("<I", len(v)) + v for v in values))
            else:
                item.contents.bytes_contents.extend(values)
        else:
            values = [float(v) for v in data]
            if raw:
                req.raw_input_contents.append(struct.pack("<%df" % len(values), *values))
            else:
                item.contents.fp32_contents.extend(values)
    return req


def scores(response):
    output = response.outputs[0]
    raw = response.raw_output_contents[0]
    return {"name": output.name, "datatype": output.datatype, "shape": list(output.shape),
            "id": response.id, "model_version": response.model_version,
            "scores": list(struct.unpack("<%df" % (len(raw) // 4), raw))}


def main():
    with open(sys.argv[3], encoding="utf-8") as f:
        spec = json.load(f)
    with grpc.insecure_channel(sys.argv[1]) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        metadata = stub.ModelMetadata(pb.ModelMetadataRequest(name=spec["model"]), timeout=30)
        result = {
            "live": stub.ServerLive(pb.ServerLiveRequest(), timeout=30).live,
            "ready": stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready,
            "model_ready": stub.ModelReady(pb.ModelReadyRequest(name=spec["model"]), timeout=30).ready,
            "inputs": [(t.name, t.datatype) for t in metadata.inputs],
            "typed": scores(stub.ModelInfer(request(spec, raw=False), timeout=30)),
            "raw": scores(stub.ModelInfer(request(spec, raw=True), timeout=30)),
        }
        try:
            stub.ModelInfer(pb.ModelInferRequest(model_name=spec["model"], inputs=[
                pb.ModelInferRequest.InferInputTensor(name="no_such_feature", datatype="FP32", shape=[1],
                                                      contents=pb.InferTensorContents(fp32_contents=[1.0]))]), timeout=30)
            result["bad_input"] = "OK"
        except grpc.RpcError as error:
            result["bad_input"] = error.code().name + ": " + error.details()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
