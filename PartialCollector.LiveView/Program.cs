using PartialCollector.LiveView;

LiveViewApplication.Build(args).Run();
