using PartialCollector.Exporter;

ExporterApplication.Build(args).Run();
