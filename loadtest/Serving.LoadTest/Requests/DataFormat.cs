namespace Serving.LoadTest.Requests;

/// <summary>The layout of a replay data file.</summary>
public enum DataFormat
{
    /// <summary><c>.csv</c> files are <see cref="Csv"/>, anything else <see cref="Criteo"/>.</summary>
    Auto,

    /// <summary>Criteo <c>train.txt</c>: tab-separated, no header, label + I1..I13 + C1..C26.</summary>
    Criteo,

    /// <summary>Comma-separated with a header naming the columns (Avazu <c>train.csv</c>).</summary>
    Csv,
}
