using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serving.TestSupport;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// Mutates a valid JSON Rank request body: in its structure (wrong types, missing and extra
/// fields, huge and malformed numbers, strings where numbers go, deep nesting, 64 KB strings,
/// bad escapes and lone surrogates, duplicate keys, bad enum values and counts) and in its raw
/// bytes (invalid UTF-8, truncation, bit flips, inserts, deletes, splices, a BOM, other bodies).
/// Everything comes from the <see cref="Random"/> it is given, so a case is reproduced from its
/// seed; each mutation returns a description.
/// </summary>
internal sealed class JsonMutator(Random random)
{
    private static readonly string[] Structural =
    [
        "wrong-type", "remove", "extra-field", "raw-token", "string-for-number", "deep-nesting", "huge-string",
        "count", "priority", "bad-escape", "duplicate-key", "null",
    ];

    /// <summary>Tokens no JSON serializer writes (or that overflow every numeric type) spliced in as they are.</summary>
    private static readonly string[] RawTokens =
    [
        "1e400", "-1e400", "1e-400", "99999999999999999999999999", "-99999999999999999999999999", "2147483648", "-2147483649",
        "4294967296", "18446744073709551616", "1.5", "-0", "0.0000001", "1E2", "NaN", "Infinity", "-Infinity", "0x10",
        "01", "+1", ".5", "1.", "-", "1e", "true", "false", "null", "[]", "{}", "\"\"", "nul", "tru", "'x'", "undefined",
    ];

    private static readonly string[] NumberStrings = ["12", " 12", "12 ", "1e2", "abc", "", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "١٢", "12abc"];

    /// <summary>Applies one to three mutations to <paramref name="valid"/>; <paramref name="donor"/> is another valid body, for splices.</summary>
    public (byte[] Body, string Description) Mutate(string valid, string donor)
    {
        var root = JsonNode.Parse(valid)!;
        var raw = new Dictionary<string, string>();
        byte[]? bytes = null;
        var steps = new List<string>();
        for (var count = random.Next(1, 4); steps.Count < count;)
        {
            // Once raw bytes are mutated the tree no longer describes them: later steps are raw too.
            if (bytes is null && random.Next(4) != 0)
            {
                steps.Add(MutateStructure(root, raw));
            }
            else
            {
                bytes ??= Serialize(root, raw);
                steps.Add(MutateBytes(ref bytes, Encoding.UTF8.GetBytes(donor)));
            }
        }

        return (bytes ?? Serialize(root, raw), string.Join("; ", steps));
    }

    /// <summary>The tree as text, each raw placeholder replaced by its token.</summary>
    private static byte[] Serialize(JsonNode root, Dictionary<string, string> raw)
    {
        var text = root.ToJsonString();
        foreach (var (placeholder, token) in raw)
        {
            text = text.Replace($"\"{placeholder}\"", token, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    private string MutateStructure(JsonNode root, Dictionary<string, string> raw)
    {
        var name = Structural[random.Next(Structural.Length)];
        var nodes = Nodes(root, "$").Where(n => n.Node != root).ToList();
        var (target, path) = nodes.Count == 0 ? (root, "$") : nodes[random.Next(nodes.Count)];
        string Raw(string token)
        {
            var placeholder = $"__raw_{raw.Count}__";
            raw[placeholder] = token;
            return placeholder;
        }

        switch (name)
        {
            case "wrong-type":
                var value = RandomValue();
                Replace(root, target, value);
                return $"{name}: {path} = {value?.ToJsonString() ?? "null"}";
            case "remove":
                Remove(target);
                return $"{name}: {path}";
            case "extra-field":
                var objects = nodes.Select(n => n.Node).Append(root).OfType<JsonObject>().ToList();
                var at = objects[random.Next(objects.Count)];
                var field = new[] { "bogus", "candidate_count", "request_id", "@type", "", "\u0000", "CANDIDATECOUNT", new string('k', 1024) }[random.Next(8)];
                at[field] = RandomValue();
                return $"{name}: '{Shorten(field)}' added";
            case "raw-token":
                var token = RawTokens[random.Next(RawTokens.Length)];
                Replace(root, target, JsonValue.Create(Raw(token)));
                return $"{name}: {path} = {token}";
            case "string-for-number":
                var text = NumberStrings[random.Next(NumberStrings.Length)];
                Replace(root, target, JsonValue.Create(text));
                return $"{name}: {path} = \"{text}\"";
            case "deep-nesting":
                var depth = new[] { 64, 65, 100, 1000, 10_000, 100_000 }[random.Next(6)];
                var array = random.Next(2) == 0;
                Replace(root, target, JsonValue.Create(Raw(array ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth))));
                return $"{name}: {path} = {depth} nested {(array ? "arrays" : "objects")}";
            case "huge-string":
                var multiByte = random.Next(2) == 0;
                Replace(root, target, JsonValue.Create(new string(multiByte ? 'é' : 'x', multiByte ? 32 * 1024 : 64 * 1024)));
                return $"{name}: {path} = 64 KB of '{(multiByte ? "é" : "x")}'";
            case "count":
                var count = new[] { "0", "-1", "4096", "4097", "2147483647", "2147483648", "-2147483648", "\"4096\"", "1e9", "true", "null", "1.0", "\"1\"" }[random.Next(13)];
                ((JsonObject)root)["candidateCount"] = JsonValue.Create(Raw(count));
                return $"{name}: candidateCount = {count}";
            case "priority":
                var priority = new[] { "\"PRIORITY_NOPE\"", "99", "-1", "\"1\"", "\"priority_best_effort\"", "1.5", "true", "\"PRIORITY_BEST_EFFORT\"", "1", "[]" }[random.Next(10)];
                ((JsonObject)root)["priority"] = JsonValue.Create(Raw(priority));
                return $"{name}: priority = {priority}";
            case "bad-escape":
                var escape = new[] { "\"\\ud800\"", "\"\\udc00x\"", "\"\\ud83d\\ud83d\"", "\"\\x41\"", "\"\\u12\"", "\"\\u0000\"", "\"\\\"", "\"a\tb\"", "\"a\nb\"" }[random.Next(9)];
                Replace(root, target, JsonValue.Create(Raw(escape)));
                return $"{name}: {path} = {escape}";
            case "duplicate-key":
                var parents = nodes.Select(n => n.Node).Append(root).OfType<JsonObject>().Where(o => o.Count > 0).ToList();
                if (parents.Count == 0)
                {
                    return MutateStructure(root, raw);
                }

                var parent = parents[random.Next(parents.Count)];
                var key = parent.ElementAt(random.Next(parent.Count)).Key;
                var again = RandomValue();
                parent[Raw(JsonSerializer.Serialize(key))] = again; // written out under the same name
                return $"{name}: '{key}' again, = {again?.ToJsonString() ?? "null"}";
            default:
                Replace(root, target, null);
                return $"null: {path}";
        }
    }

    /// <summary>The shared raw mutations (<see cref="RawMutations"/>), or invalid UTF-8 (mostly inside a string), a byte order mark, another body.</summary>
    private string MutateBytes(ref byte[] bytes, byte[] donor)
    {
        var kind = random.Next(RawMutations.Kinds + 3);
        switch (kind - RawMutations.Kinds)
        {
            case < 0:
                return RawMutations.Apply(random, kind, ref bytes, donor);
            case 0:
                var bad = new byte[][] { [0xC3, 0x28], [0xFF], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80] }[random.Next(7)];
                var text = bytes;
                var quotes = Enumerable.Range(0, text.Length).Where(i => text[i] == (byte)'"').ToList();
                var at = quotes.Count > 0 && random.Next(4) != 0 ? quotes[random.Next(quotes.Count)] + 1 : random.Next(bytes.Length + 1);
                bytes = [.. bytes[..at], .. bad, .. bytes[at..]];
                return $"invalid UTF-8 {Convert.ToHexString(bad)} at byte {at}";
            case 1:
                bytes = [0xEF, 0xBB, 0xBF, .. bytes];
                return "a UTF-8 byte order mark first";
            default:
                var body = new[] { "", "null", "[]", "123", "\"x\"", "{", "}", "{}", "{\"candidateCount\":1}", " ", "\u0000" }[random.Next(11)];
                bytes = Encoding.UTF8.GetBytes(body);
                return $"the body replaced by '{body}'";
        }
    }

    private JsonNode? RandomValue() => random.Next(7) switch
    {
        0 => JsonValue.Create(random.Next(-5, 10)),
        1 => JsonValue.Create("x"),
        2 => JsonValue.Create(random.Next(2) == 0),
        3 => null,
        4 => new JsonArray(JsonValue.Create(1), JsonValue.Create("a")),
        5 => new JsonObject { ["name"] = "I1" },
        _ => JsonValue.Create(random.NextDouble() * 1e6),
    };

    private static IEnumerable<(JsonNode? Node, string Path)> Nodes(JsonNode? node, string path)
    {
        yield return (node, path);
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    foreach (var n in Nodes(child, $"{path}.{key}"))
                    {
                        yield return n;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var n in Nodes(a[i], $"{path}[{i}]"))
                    {
                        yield return n;
                    }
                }

                break;
        }
    }

    /// <summary>Puts <paramref name="value"/> where <paramref name="target"/> is (in its object or array).</summary>
    private static void Replace(JsonNode root, JsonNode? target, JsonNode? value)
    {
        switch (target?.Parent)
        {
            case JsonObject o:
                o[target.GetPropertyName()] = value;
                break;
            case JsonArray a:
                a[target.GetElementIndex()] = value;
                break;
            default:
                if (root is JsonObject r && r.Count > 0)
                {
                    r[r.First().Key] = value; // a null target (a JSON null) has no parent to find: the first field takes the value
                }

                break;
        }
    }

    private static void Remove(JsonNode? target)
    {
        switch (target?.Parent)
        {
            case JsonObject o:
                o.Remove(target.GetPropertyName());
                break;
            case JsonArray a:
                a.RemoveAt(target.GetElementIndex());
                break;
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : $"{text[..40]}… ({text.Length} chars)";
}
